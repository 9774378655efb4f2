/**
 * `fintech-etl backfill --from D --to D [--reprocess none|failed|all] [--dry-run] [--continue-on-failure]
 * [--max-active-runs N]`: the daily DAG for the dates of a range that need it, in date order. One date at a time
 * (the default on the local executor), each under the home's writer lease, so a manual `run` can take it between
 * two dates; or N dates in flight under one hold of the lease (the default on the queue executor: every date),
 * their silver checks queued at once and every other task in date order (src/orchestrator/execution/date-order.ts). Which dates: the plan of the range
 * (src/orchestrator/planner/backfill-dates.ts) — `none` runs what never ran and resumes what was killed,
 * `failed` everything not up to date, `all` every date with bronze. A progress bar (dates, rows, ETA) on an
 * interactive terminal; a line per date. Stops at the first failed date unless `--continue-on-failure`; exit 1
 * when any date failed.
 */
import type { Command } from 'commander';
import { PipelineError } from '../../core/errors.ts';
import type { DagRunResult } from '../../orchestrator/execution/run-dag.ts';
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
  maxActiveRuns?: number;
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
    .option(
      '--max-active-runs <n>',
      'dates in flight at once: their silver checks run at once, everything else in date order (default: 1; every date with executor kind queue)',
      positiveInteger,
    )
    .option('--continue-on-failure', 'go on with the next dates when one fails')
    .option(
      '--wait <seconds>',
      'wait this long for another writer of the home or warehouse',
      nonNegativeInteger,
      0,
    )
    .action(async (options: BackfillOptions) => {
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
        const maxActiveRuns =
          options.maxActiveRuns ?? (plane.config.executor.kind === 'queue' ? selection.dates.length : 1);
        await withProgressBar(
          json,
          async (onProgress) => {
            onProgress?.(0, selection.dates.length, '0 rows');
            const record = async (result: DagRunResult) => {
              const summary = await summarizeDagRun(plane.store, result);
              runs.push(summary);
              rows += ledgerOf(summary)?.bronze_rows ?? 0;
              onProgress?.(runs.length, selection.dates.length, `${rows.toLocaleString('en-US')} rows`);
              context.say(describeDate(summary));
              return summary;
            };
            if (maxActiveRuns === 1) {
              // One date at a time, each under its own hold of the lease: a manual run can take it in between.
              for (const date of selection.dates) {
                if (stop.signal.aborted) break;
                const summary = await record(
                  await plane.runDate(date.date, {
                    trigger: 'backfill',
                    force: date.force,
                    stopSignal: stop.signal,
                  }),
                );
                if (failedOutcome(summary) && !options.continueOnFailure) break;
              }
              return;
            }
            const recorded: Promise<unknown>[] = [];
            await plane.runDates(
              selection.dates.map((date) => ({ date: date.date, force: date.force })),
              {
                trigger: 'backfill',
                stopSignal: stop.signal,
                maxActiveRuns,
                ...(options.continueOnFailure ? { continueOnFailure: true } : {}),
                onResult: (result) => recorded.push(record(result)),
              },
            );
            await Promise.all(recorded);
            runs.sort((a, b) => a.logical_date.localeCompare(b.logical_date));
          },
          '{bar} {value}/{total} dates | {detail} | {eta_formatted} left',
        );
        // Dates a failure stopped before they ended (several in flight) count as not run, as those never started.
        const halted = runs.filter((run) => run.outcome === 'stopped' && !stop.signal.aborted);
        const failed = runs.filter((run) => failedOutcome(run) && !halted.includes(run));
        const notRun = selection.dates.length - runs.length + halted.length;
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

function failedOutcome(summary: DagRunSummary): boolean {
  return summary.outcome !== 'success' && summary.outcome !== 'already-succeeded';
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
