/**
 * The queue executor's overhead per task against the local executor (issue 26, goal under 100 ms), both on the
 * PostgreSQL state store (what the queue executor requires), and Redis on 127.0.0.1:6379:
 * - a chain of BENCH_QUEUE_TASKS (default 8) no-op tasks run for BENCH_QUEUE_DATES (default 10) dates, one date
 *   after the other (so every try waits for the previous one: the latency a DAG sees), by runDag with the local
 *   executor, then with the queue executor and one worker in this process (the job goes through Redis and back;
 *   the CPU figures are the orchestrator's and the worker's together);
 * - the first date of the queue run apart: it opens the queues' connections (one event listener per task queue).
 * Wall and CPU seconds of this process; PostgreSQL's and Redis's server CPU are not in them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addDays, type IsoDate } from '../src/core/dates.ts';
import { measure } from '../src/core/stopwatch.ts';
import { defineDag } from '../src/orchestrator/definitions/dag.ts';
import { defineTask } from '../src/orchestrator/definitions/task-definition.ts';
import { queueExecutor } from '../src/orchestrator/execution/queue/queue-executor.ts';
import { startQueueWorker } from '../src/orchestrator/execution/queue/queue-worker.ts';
import { TaskQueue } from '../src/orchestrator/execution/queue/task-queue.ts';
import { runDag } from '../src/orchestrator/execution/run-dag.ts';
import type { TaskExecutor } from '../src/orchestrator/execution/task-executor.ts';
import { PostgresStateStore } from '../src/orchestrator/state/postgres/postgres-state-store.ts';
import { createTestDatabase, postgresSkipReason } from '../test/helpers/postgres-test-database.ts';
import { REDIS_URL, redisSkipReason, uniqueQueue } from '../test/helpers/redis-test-server.ts';
import type { Benchmark } from './run.ts';

const TASKS = Number(process.env['BENCH_QUEUE_TASKS'] ?? 8);
const DATES = Number(process.env['BENCH_QUEUE_DATES'] ?? 10);

const dag = defineDag({
  name: 'queue_overhead',
  tasks: Array.from({ length: TASKS }, (_, i) =>
    defineTask({
      name: `t${i}`,
      dependsOn: i ? [`t${i - 1}`] : [],
      run: async ({ logicalDate }) => ({ index: i, date: logicalDate }),
    }),
  ),
});

async function runDates(
  name: string,
  store: PostgresStateStore,
  logsDir: string,
  first: IsoDate,
  dates: number,
  executor?: TaskExecutor,
) {
  const measured = await measure(async () => {
    for (let i = 0; i < dates; i++) {
      const result = await runDag({
        dag,
        store,
        logicalDate: addDays(first, i),
        logsDir,
        ...(executor ? { executor } : {}),
      });
      if (result.outcome !== 'success') throw new Error(`${name}: bench run failed: ${result.error}`);
    }
  });
  const tries = dates * TASKS;
  console.log(
    `${name}: ${dates} date(s) × ${TASKS} chained no-op tasks in ${measured.seconds.toFixed(2)} s: ` +
      `${((measured.seconds * 1000) / tries).toFixed(1)} ms per task wall, ` +
      `${((measured.cpuSeconds * 1000) / tries).toFixed(1)} ms CPU`,
  );
  return { wallMs: (measured.seconds * 1000) / tries, cpuMs: (measured.cpuSeconds * 1000) / tries };
}

export const benchmark: Benchmark = {
  title: 'queue executor: overhead per task against the local executor (PostgreSQL state, Redis)',
  async run() {
    if ((await postgresSkipReason()) || (await redisSkipReason())) return;
    const dir = mkdtempSync(join(tmpdir(), 'bench-queue-'));
    const database = await createTestDatabase();
    const store = await PostgresStateStore.open(database.url);
    const queue = uniqueQueue('bench');
    const taskQueue = new TaskQueue({ redis: { url: REDIS_URL }, queue });
    const worker = await startQueueWorker({
      redis: { url: REDIS_URL },
      queue,
      store,
      dags: [dag],
      concurrency: 1,
      logsDir: join(dir, 'worker-logs'),
      identity: { pid: process.pid, host: 'bench-worker', command: 'bench' },
      events: { emit: () => undefined },
      heartbeatIntervalMs: 10_000,
      heartbeatTimeoutMs: 120_000,
      timeoutGraceMs: 30_000,
      stopGraceMs: 30_000,
    });
    try {
      const logsDir = join(dir, 'logs');
      const local = await runDates('local', store, logsDir, '2030-01-01' as IsoDate, DATES);
      const executor = queueExecutor(taskQueue);
      await runDates(
        'queue, first date (opens the connections)',
        store,
        logsDir,
        '2031-01-01' as IsoDate,
        1,
        executor,
      );
      const queued = await runDates('queue', store, logsDir, '2031-01-02' as IsoDate, DATES, executor);
      const again = await runDates('local again', store, logsDir, '2032-01-01' as IsoDate, DATES);
      const base = { wallMs: (local.wallMs + again.wallMs) / 2, cpuMs: (local.cpuMs + again.cpuMs) / 2 };
      console.log(
        `queue overhead per task: ${(queued.wallMs - base.wallMs).toFixed(1)} ms wall, ` +
          `${(queued.cpuMs - base.cpuMs).toFixed(1)} ms CPU (queue ${queued.wallMs.toFixed(1)} ms vs local ` +
          `${base.wallMs.toFixed(1)} ms, the mean of the runs before and after)`,
      );
    } finally {
      await worker.drain();
      await taskQueue.close();
      await store.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
