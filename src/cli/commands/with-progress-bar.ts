/** A progress bar on stderr while a long job runs, only on an interactive terminal and never with `--json`. */
import cliProgress from 'cli-progress';

export type ProgressReport = (done: number, total: number) => void;

export async function withProgressBar<T>(
  quiet: boolean,
  job: (onProgress?: ProgressReport) => Promise<T>,
): Promise<T> {
  if (quiet || !process.stderr.isTTY) return job();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{bar} {percentage}% | {value}/{total} records | {eta_formatted} left',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  try {
    return await job((done, total) => {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    });
  } finally {
    if (started) bar.stop();
  }
}
