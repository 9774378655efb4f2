/**
 * `fintech-etl backfill --from D --to D [--reprocess none|failed|all] [--dry-run] [--continue-on-failure]`:
 * the daily DAG for the dates of a range that need it, in date order, each under the home's writer lease (so a
 * manual `run` can take it between two dates). Which dates: the plan of the range
 * (src/orchestrator/planner/backfill-dates.ts) — `none` runs what never ran and resumes what was killed,
 * `failed` everything not up to date, `all` every date with bronze. A progress bar (dates, rows, ETA) on an
 * interactive terminal; a line per date. Stops at the first failed date unless `--continue-on-failure`; exit 1
 * when any date failed.
 */
import type { Command } from 'commander';
import { PipelineError, UsageError } from '../../core/errors.ts';
import { stopOnSignals } from '../../orchestrator/execution/stop-signal.ts';
import { planRange } from '../../orchestrator/plan-range.ts';
import { type Reprocess, selectBackfillDates } from '../../orchestrator/planner/backfill-dates.ts';
import type { CliContext } from '../cli-context.ts';
import { openControlPlane } from '../control-plane.ts';
import { isoDate, nonNegativeInteger, oneOf, positiveInteger } from '../option-parsers.ts';
import { type DagRunSummary, ledgerOf, summarizeDagRun } from './print-dag-run.ts';
import { withProgressBar } from './with-progress-bar.ts';

interface BackfillOptions {
  from: string;
  to: string;
  reprocess: Reprocess;
  dryRun?: boolean;
  maxActiveRuns: number;
  continueOnFailure?: boolean;
  wait: number;
}

export function registerBackfillCommand(program: Command, context: CliContext): void {
  program
    .command('backfill')
    .description('run the daily DAG for the dates of a range that need it, in date order')
    .requiredOption('--from <date>', 'first logical date YYYY-MM-DD', isoDate)
    .requiredOption('--to <date>', 'last logical date YYYY-MM-DD', isoDate)
    .option(
      '--reprocess <which>',
      'none: only dates never run (and killed runs); failed: every date not up to date; all: every date',
      oneOf<Reprocess>('none', 'failed', 'all'),
      'none',
    )
    .option('--dry-run', 'print the dates it would run, and why, without running them')
    .option('--max-active-runs <n>', 'dates in flight at once (a home has one writer: 1)', positiveInteger, 1)
    .option('--continue-on-failure', 'go on with the next dates when one fails')
    .option(
      '--wait <seconds>',
      'wait this long for another writer of the home or warehouse',
      nonNegativeInteger,
      0,
    )
    .action(async (options: BackfillOptions) => {
      if (options.maxActiveRuns > 1) {
        throw new UsageError(
          `--max-active-runs ${options.maxActiveRuns}: the dates of one home write one lake and one warehouse, ` +
            'so they run one at a time (1)',
        );
      }
      const plane = await openControlPlane(context, { waitSeconds: options.wait });
      const json = Boolean(context.options().json);
      // SIGTERM/SIGINT: no new date starts, the running try gets its grace period; twice: exit.
      const stop = stopOnSignals();
      try {
        const plans = await planRange({
          store: plane.store,
          lake: plane.lake,
          dag: plane.dag,
          projectDir: plane.config.projectDir,
          from: isoDate(options.from),
          to: isoDate(options.to),
          now: plane.clock.now(),
          heartbeatTimeoutMs: plane.config.orchestrator.heartbeat_timeout * 1000,
        });
        const selection = selectBackfillDates(plans, options.reprocess);
        for (const date of selection.dates) {
          context.say(`${options.dryRun ? 'would run' : 'to run'}  ${date.date}  ${date.status}`);
        }
        for (const skipped of selection.skipped) {
          context.say(`skip       ${skipped.date}  ${skipped.status}: ${skipped.reason}`);
        }
        if (options.dryRun) {
          if (json) context.emitJson(selection);
          return;
        }
        const runs: DagRunSummary[] = [];
        let rows = 0;
        await withProgressBar(
          json,
          async (onProgress) => {
            onProgress?.(0, selection.dates.length, '0 rows');
            for (const [index, date] of selection.dates.entries()) {
              if (stop.signal.aborted) break;
              const result = await plane.runDate(date.date, {
                trigger: 'backfill',
                force: date.force,
                stopSignal: stop.signal,
              });
              const summary = await summarizeDagRun(plane.store, result);
              runs.push(summary);
              rows += ledgerOf(summary)?.bronze_rows ?? 0;
              onProgress?.(index + 1, selection.dates.length, `${rows.toLocaleString('en-US')} rows`);
              context.say(describeDate(summary));
              const failed = summary.outcome !== 'success' && summary.outcome !== 'already-succeeded';
              if (failed && !options.continueOnFailure) break;
            }
          },
          '{bar} {value}/{total} dates | {detail} | {eta_formatted} left',
        );
        const failed = runs.filter((run) => run.outcome !== 'success' && run.outcome !== 'already-succeeded');
        const notRun = selection.dates.length - runs.length;
        context.say(
          `${runs.length - failed.length} of ${selection.dates.length} dates succeeded` +
            (failed.length ? `, ${failed.length} failed` : '') +
            (notRun
              ? `, ${notRun} not run (stopped at the first failure; --continue-on-failure goes on)`
              : '') +
            `; ${rows.toLocaleString('en-US')} bronze rows`,
        );
        if (json) context.emitJson({ selection, runs });
        if (failed.length) {
          const first = failed[0]!;
          throw new PipelineError(
            `backfill: ${failed.length} date(s) failed, first ${first.logical_date}: ${first.error ?? 'see fintech-etl logs'} (fintech-etl logs ${first.run_id})`,
          );
        }
      } finally {
        stop.dispose();
        await plane.close();
      }
    });
}

function describeDate(summary: DagRunSummary): string {
  const ledger = ledgerOf(summary);
  const seconds = summary.tasks.reduce((sum, task) => sum + (task.seconds ?? 0), 0);
  const failed = summary.tasks.find((task) => task.state === 'failed');
  const outcome =
    summary.outcome === 'success'
      ? 'OK'
      : summary.outcome === 'already-succeeded'
        ? 'already succeeded'
        : `FAILED${failed ? ` in ${failed.task}: ${failed.error}` : `: ${summary.error ?? summary.outcome}`}`;
  return [
    `  ${summary.logical_date}`,
    ledger ? `${ledger.bronze_rows.toLocaleString('en-US')} rows` : '',
    `${seconds.toFixed(1)}s`,
    outcome,
  ]
    .filter(Boolean)
    .join('  ');
}
