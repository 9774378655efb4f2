/** A progress bar on stderr while a long job runs, only on an interactive terminal and never with `--json`. */
import cliProgress from 'cli-progress';

/** `detail` fills the bar's `{detail}` token (what `format` shows besides the count), e.g. rows so far. */
export type ProgressReport = (done: number, total: number, detail?: string) => void;

export async function withProgressBar<T>(
  quiet: boolean,
  job: (onProgress?: ProgressReport) => Promise<T>,
  format = '{bar} {percentage}% | {value}/{total} records | {eta_formatted} left',
): Promise<T> {
  if (quiet || !process.stderr.isTTY) return job();
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  try {
    return await job((done, total, detail) => {
      if (!started) {
        bar.start(total, 0, { detail: detail ?? '' });
        started = true;
      }
      bar.update(done, { detail: detail ?? '' });
    });
  } finally {
    if (started) bar.stop();
  }
}
