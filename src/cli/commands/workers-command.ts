/**
 * `fintech-etl workers [--all]`: the queue workers the state store knows — host, pid, state, the tries each is
 * running (from the tries' own records), its last heartbeat — with the dead ones marked (pid gone on this host, or
 * no heartbeat for `orchestrator.heartbeat_timeout`). Stopped workers only with `--all`.
 */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { deadHolderReason } from '../../orchestrator/execution/process-identity.ts';
import { openStateStore } from '../../orchestrator/state/open-state-store.ts';
import type { TryRecord, WorkerRecord } from '../../orchestrator/state/state-store.ts';
import type { CliContext, RegisterCommand } from '../cli-context.ts';

export const registerWorkersCommand: RegisterCommand = (program: Command, context: CliContext) => {
  program
    .command('workers')
    .description('list the queue workers: host, pid, tries running, last heartbeat; dead ones marked')
    .option('--all', 'also list workers that stopped')
    .action(async (options: { all?: boolean }) => {
      const config = context.config();
      const store = await openStateStore(config);
      try {
        const workers = await store.listWorkers(options.all ? { includeStopped: true } : {});
        const running = await store.runningTries();
        const now = new Date();
        const rows = workers.map((worker) =>
          describeWorker(worker, running, now, config.orchestrator.heartbeat_timeout),
        );
        if (context.options().json) {
          context.emitJson(rows);
          return;
        }
        if (rows.length === 0) {
          context.say(`no worker${options.all ? '' : ' is running'} (state: ${store.location})`);
          return;
        }
        context.say(
          `${'HOST'.padEnd(20)} ${'PID'.padStart(7)}  ${'STATE'.padEnd(8)} ${'LAST HEARTBEAT'.padEnd(24)} RUNNING`,
        );
        for (const row of rows) {
          context.say(
            `${row.host.padEnd(20)} ${String(row.pid).padStart(7)}  ${row.state.padEnd(8)} ` +
              `${`${row.last_heartbeat} (${row.seconds_since_heartbeat} s)`.padEnd(24)} ` +
              (row.running
                .map((attempt) => `${attempt.task} try ${attempt.try} (${attempt.run_id})`)
                .join(', ') || '-'),
          );
          if (row.dead_because) context.say(`  dead: ${row.dead_because}`);
        }
      } finally {
        await store.close();
      }
    });
};

function describeWorker(
  worker: WorkerRecord,
  running: TryRecord[],
  now: Date,
  heartbeatTimeoutSeconds: number,
) {
  const deadBecause =
    worker.state === 'stopped'
      ? undefined
      : deadHolderReason(worker.process, worker.heartbeatAt, {
          now,
          heartbeatTimeoutMs: heartbeatTimeoutSeconds * 1000,
          localHost: hostname(),
        });
  return {
    worker_id: worker.workerId,
    host: worker.process.host,
    pid: worker.process.pid,
    state: deadBecause ? 'dead' : worker.state,
    ...(deadBecause ? { dead_because: deadBecause } : {}),
    queue: worker.queue,
    concurrency: worker.concurrency,
    tasks: worker.tasks,
    running: running
      .filter(
        (attempt) =>
          attempt.process.pid === worker.process.pid && attempt.process.host === worker.process.host,
      )
      .map((attempt) => ({ run_id: attempt.runId, task: attempt.task, try: attempt.tryNumber })),
    started_at: worker.startedAt.toISOString(),
    last_heartbeat: worker.heartbeatAt.toISOString().replace(/\.\d+Z$/, 'Z'),
    seconds_since_heartbeat: Math.max(0, Math.round((now.getTime() - worker.heartbeatAt.getTime()) / 1000)),
  };
}
