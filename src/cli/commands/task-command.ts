/**
 * `fintech-etl task TASK --date D`: one task of the daily DAG for one date, through the same state store, logs
 * and writer lease as `run` — what an Airflow DAG (`export airflow`) calls for each of its tasks. Its
 * dependencies must have succeeded for that date (their recorded outputs are its input). One try: the caller
 * (Airflow) retries. Exit 1 when it failed.
 */
import type { Command } from 'commander';
import { stopOnSignals } from '../../orchestrator/execution/stop-signal.ts';
import type { CliContext } from '../cli-context.ts';
import { failIfRunFailed, openControlPlane } from '../control-plane.ts';
import { isoDate, nonNegativeInteger } from '../option-parsers.ts';
import { printDagRun, summarizeDagRun } from './print-dag-run.ts';

export function registerTaskCommand(program: Command, context: CliContext): void {
  program
    .command('task')
    .description('run one task of the daily DAG for one date (what an Airflow task calls)')
    .argument('<task>', 'silver, quality, load, models, tests or gold')
    .requiredOption('--date <date>', 'logical date YYYY-MM-DD', isoDate)
    .option(
      '--wait <seconds>',
      'wait this long for another writer of the home or warehouse',
      nonNegativeInteger,
      0,
    )
    .option('--accept-quality-failures', 'quality: load the batch even when error expectations fail')
    .action(
      async (task: string, options: { date: string; wait: number; acceptQualityFailures?: boolean }) => {
        const plane = await openControlPlane(context, {
          waitSeconds: options.wait,
          acceptQualityFailures: options.acceptQualityFailures,
        });
        const stop = stopOnSignals();
        try {
          const result = await plane.runDate(isoDate(options.date), {
            stopSignal: stop.signal,
            onlyTask: task,
            singleTry: true,
            trigger: 'task',
          });
          const summary = await summarizeDagRun(plane.store, result);
          if (context.options().json) context.emitJson(summary);
          else printDagRun(context, summary);
          failIfRunFailed(plane, result);
        } finally {
          stop.dispose();
          await plane.close();
        }
      },
    );
}
