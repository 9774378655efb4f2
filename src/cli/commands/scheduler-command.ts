/**
 * `fintech-etl scheduler [--once]`: runs the daily DAG on the config's cron (`scheduler: {schedule, timezone,
 * start_date, catchup, max_active_runs}`): each tick runs the logical date of the interval it closes, and with
 * `catchup` every missed date since `start_date` (or the last success) in order; killed runs are resumed; failed
 * dates wait for an operator (`plan`, `backfill --reprocess failed`). One scheduler per home (a second one exits
 * 2 naming the first); each date takes the writer lease, so a manual `run` can slip in between. SIGTERM starts no
 * new date and lets the running try finish or abandon it cleanly. `--once` runs what is due now and exits 0, or 1
 * when a date failed. "Now" can be fixed with FINTECH_ETL_NOW (tests).
 */
import type { Command } from 'commander';
import type { IsoDate } from '../../core/dates.ts';
import { PipelineError } from '../../core/errors.ts';
import { stopOnSignals } from '../../orchestrator/execution/stop-signal.ts';
import { runScheduler } from '../../orchestrator/scheduler/run-scheduler.ts';
import type { ScheduleSpec } from '../../orchestrator/scheduler/schedule.ts';
import type { CliContext } from '../cli-context.ts';
import { DAILY_DAG, openControlPlane } from '../control-plane.ts';
import { nonNegativeInteger } from '../option-parsers.ts';
import { summarizeDagRun } from './print-dag-run.ts';

export function registerSchedulerCommand(program: Command, context: CliContext): void {
  program
    .command('scheduler')
    .description('run the daily DAG on the configured schedule, catching up missed dates')
    .option('--once', 'run the dates due now, then exit')
    .option(
      '--wait <seconds>',
      'how long a due date waits for another writer of the home',
      nonNegativeInteger,
      300,
    )
    .action(async (options: { once?: boolean; wait: number }) => {
      const plane = await openControlPlane(context, { waitSeconds: options.wait });
      const config = plane.config;
      const spec: ScheduleSpec = {
        schedule: config.scheduler.schedule,
        timezone: config.scheduler.timezone ?? config.timezone,
        ...(config.scheduler.start_date ? { startDate: config.scheduler.start_date as IsoDate } : {}),
        catchup: config.scheduler.catchup,
        maxActiveRuns: config.scheduler.max_active_runs,
      };
      const stop = stopOnSignals();
      const failed: string[] = [];
      try {
        context.say(
          `scheduler: ${spec.schedule} (${spec.timezone})` +
            (spec.startDate ? `, from ${spec.startDate}` : '') +
            (spec.catchup ? ', catching up missed dates' : ', latest date only') +
            `, now ${plane.clock.now().toISOString()}`,
        );
        const report = await runScheduler({
          spec,
          store: plane.store,
          dag: DAILY_DAG,
          clock: plane.clock,
          once: Boolean(options.once),
          stopSignal: stop.signal,
          events: {
            emit: (event) => {
              plane.events.emit(event);
              const fields = event as unknown as { kind: string; due?: string[]; nextTick?: string | null };
              if (fields.kind !== 'scheduler-due') return;
              const next = fields.nextTick ? `; next tick ${fields.nextTick}` : '';
              context.say(fields.due?.length ? `due: ${fields.due.join(', ')}${next}` : `nothing due${next}`);
            },
          },
          heartbeatTimeoutMs: config.orchestrator.heartbeat_timeout * 1000,
          runDate: async (date, stopSignal) => {
            const result = await plane.runDate(date, { trigger: 'scheduler', stopSignal });
            const summary = await summarizeDagRun(plane.store, result);
            const failedTask = summary.tasks.find((task) => task.state === 'failed');
            const outcome =
              result.outcome === 'failed'
                ? `failed in ${failedTask?.task ?? '?'}: ${failedTask?.error ?? result.error ?? ''}`
                : result.outcome;
            if (result.outcome === 'failed') failed.push(date);
            context.say(`  ${date}  ${outcome}  (run ${result.runId})`);
            return outcome;
          },
        });
        if (context.options().json) context.emitJson(report);
        const errors = report.ran.filter((entry) => entry.outcome.startsWith('error:'));
        for (const entry of errors) context.say(`  ${entry.date}  ${entry.outcome}`);
        if (failed.length || errors.length) {
          throw new PipelineError(
            `scheduler: ${[...failed, ...errors.map((entry) => entry.date)].join(', ')} did not succeed (fintech-etl runs, fintech-etl logs DATE)`,
          );
        }
      } finally {
        stop.dispose();
        await plane.close();
      }
    });
}
