/**
 * `fintech-etl run --date D [--force] [--from-task T] [--wait S] [--accept-quality-failures]`: the DAG
 * `daily_batch_etl` for logical date D through the state store, under the home's writer lease. A failed or
 * killed run of D is resumed from its first task that did not succeed (reusing the recorded outputs of the
 * others); a succeeded one is left alone unless `--force` (every task again) or `--from-task T` (T and what
 * follows it). Prints a line per task, and the failure report when a task failed. Exit 1 when the run failed
 * (or another writer holds the home or the warehouse), 2 on bad usage or config.
 */
import type { Command } from 'commander';
import { stopOnSignals } from '../../orchestrator/execution/stop-signal.ts';
import { buildFailureReport } from '../../orchestrator/failure-report.ts';
import type { CliContext } from '../cli-context.ts';
import { failIfRunFailed, openControlPlane } from '../control-plane.ts';
import { isoDate, nonNegativeInteger } from '../option-parsers.ts';
import { printDagRun, summarizeDagRun } from './print-dag-run.ts';
import { failureReportLines } from './print-failure-report.ts';

export function registerRunCommand(program: Command, context: CliContext): void {
  program
    .command('run')
    .description('run the daily DAG for one logical date: silver → quality → load → models → tests → gold')
    .requiredOption('--date <date>', 'logical date YYYY-MM-DD (the bronze ingest date it processes)', isoDate)
    .option('--force', 'run every task again, even when the date already succeeded')
    .option(
      '--from-task <task>',
      'run this task and every task after it again (a new run if the date succeeded)',
    )
    .option(
      '--wait <seconds>',
      'wait this long for another writer of the home or warehouse',
      nonNegativeInteger,
      0,
    )
    .option(
      '--accept-quality-failures',
      'load the batch even when error expectations of the quality gate fail (recorded on the run)',
    )
    .action(
      async (options: {
        date: string;
        force?: boolean;
        fromTask?: string;
        wait: number;
        acceptQualityFailures?: boolean;
      }) => {
        const plane = await openControlPlane(context, {
          waitSeconds: options.wait,
          acceptQualityFailures: options.acceptQualityFailures,
        });
        // SIGTERM/SIGINT: the running try gets its grace period, then the run stops (resumable); twice: exit.
        const stop = stopOnSignals();
        try {
          const result = await plane.runDate(isoDate(options.date), {
            stopSignal: stop.signal,
            ...(options.force ? { force: true } : {}),
            ...(options.fromTask !== undefined ? { fromTask: options.fromTask } : {}),
          });
          const summary = await summarizeDagRun(plane.store, result);
          if (context.options().json) context.emitJson(summary);
          else {
            printDagRun(context, summary);
            if (result.outcome === 'failed') {
              const report = await buildFailureReport(plane.store, result.runId, { order: plane.dag.order });
              if (report) for (const line of ['', ...failureReportLines(report)]) context.say(line);
            }
          }
          failIfRunFailed(plane, result);
        } finally {
          stop.dispose();
          await plane.close();
        }
      },
    );
}
