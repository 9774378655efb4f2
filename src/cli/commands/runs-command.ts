/**
 * `fintech-etl runs [--date D] [--status S] [--limit N]`: the run history from the state store, newest first —
 * each run's date, state, trigger, start and duration, and every task with its state, tries and the seconds of
 * its latest try. Reads only; takes no lease.
 */
import type { Command } from 'commander';
import type { RunRecord, RunState, StateStore } from '../../orchestrator/state/state-store.ts';
import type { CliContext } from '../cli-context.ts';
import { DAILY_DAG, declaredDag, openStateOnly } from '../control-plane.ts';
import { isoDate, oneOf, positiveInteger } from '../option-parsers.ts';

export function registerRunsCommand(program: Command, context: CliContext): void {
  program
    .command('runs')
    .description('run history: each run with its tasks, tries and durations')
    .option('--date <date>', 'only runs of this logical date', isoDate)
    .option(
      '--status <state>',
      'only runs in this state (queued, running, success, failed)',
      oneOf<RunState>('queued', 'running', 'success', 'failed'),
    )
    .option('--limit <n>', 'at most this many runs', positiveInteger, 20)
    .action(async (options: { date?: string; status?: RunState; limit: number }) => {
      const { config, store } = await openStateOnly(context);
      try {
        const runs = await store.listRuns({
          dag: DAILY_DAG,
          ...(options.date ? { logicalDate: isoDate(options.date) } : {}),
          ...(options.status ? { states: [options.status] } : {}),
          limit: options.limit,
        });
        const order = declaredDag(config).order;
        const described = await Promise.all(runs.map((run) => describeRun(store, run, order)));
        if (context.options().json) {
          context.emitJson(described);
          return;
        }
        if (described.length === 0) {
          context.say(
            'no runs recorded yet (fintech-etl run --date D, backfill, or the scheduler start them)',
          );
          return;
        }
        for (const run of described) {
          const duration = run.seconds === null ? 'running' : `${run.seconds.toFixed(1)}s`;
          context.say(
            `${run.logical_date}  ${run.state.padEnd(7)}  ${run.trigger.padEnd(9)}  ${run.started_at.slice(0, 19).replace('T', ' ')}  ${duration.padStart(8)}  ${run.run_id}`,
          );
          const tasks = run.tasks.map((task) => {
            const tries = task.tries > 1 ? ` ×${task.tries}` : '';
            const seconds = task.seconds === null ? '' : ` ${task.seconds.toFixed(1)}s`;
            return `${task.task} ${task.state}${tries}${seconds}`;
          });
          context.say(`    ${tasks.join(', ')}`);
          if (run.error) context.say(`    error: ${run.error}`);
        }
      } finally {
        await store.close();
      }
    });
}

async function describeRun(store: StateStore, run: RunRecord, order: readonly string[]) {
  const [instances, tries] = await Promise.all([store.taskInstances(run.runId), store.tries(run.runId)]);
  const rank = (task: string) => (order.includes(task) ? order.indexOf(task) : order.length);
  return {
    run_id: run.runId,
    logical_date: run.logicalDate,
    state: run.failureKind && run.state === 'failed' ? `${run.state} (${run.failureKind})` : run.state,
    trigger: run.trigger,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt?.toISOString() ?? null,
    seconds: run.finishedAt ? (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000 : null,
    as_of_date: run.asOfDate ?? null,
    error: run.error ?? null,
    process: run.process,
    tasks: [...instances]
      .sort((a, b) => rank(a.task) - rank(b.task))
      .map((instance) => {
        const own = tries.filter((attempt) => attempt.task === instance.task);
        const latest = own.at(-1);
        return {
          task: instance.task,
          state: instance.reusedFromRun ? `${instance.state} (reused)` : instance.state,
          tries: own.length,
          seconds: latest?.finishedAt
            ? (latest.finishedAt.getTime() - latest.startedAt.getTime()) / 1000
            : null,
          try_states: own.map((attempt) =>
            attempt.failureKind ? `${attempt.state} (${attempt.failureKind})` : attempt.state,
          ),
        };
      }),
  };
}
