/**
 * The queue executor with workers in this process, on real Redis and PostgreSQL: the same runDag decisions as the
 * local executor, tries recorded by the worker that ran them, and a job delivered twice doing nothing the second
 * time. Worker processes, kills, a lost Redis and draining are in test/orchestrator/queue-workers.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  postgresSkipReason,
  type TestDatabase,
} from '../../../../test/helpers/postgres-test-database.ts';
import { REDIS_URL, redisSkipReason, uniqueQueue } from '../../../../test/helpers/redis-test-server.ts';
import { logEvents } from '../../../../test/orchestrator/helpers/control-plane-fixture.ts';
import type { IsoDate } from '../../../core/dates.ts';
import { defineDag } from '../../definitions/dag.ts';
import { defineTask } from '../../definitions/task-definition.ts';
import type { TaskEvent } from '../../definitions/task-event.ts';
import { PostgresStateStore } from '../../state/postgres/postgres-state-store.ts';
import { runDag } from '../run-dag.ts';
import { queueExecutor } from './queue-executor.ts';
import { type QueueWorker, startQueueWorker } from './queue-worker.ts';
import { QUEUE_KEY_PREFIX } from './redis-connection.ts';
import { type TaskJob, taskJobId, taskQueueName } from './task-job.ts';
import { TaskQueue } from './task-queue.ts';

const DATE = '2025-03-01' as IsoDate;
let skip: string | undefined;
let database: TestDatabase | undefined;
let store: PostgresStateStore;

beforeAll(async () => {
  skip = (await redisSkipReason()) ?? (await postgresSkipReason());
  if (skip) return;
  database = await createTestDatabase();
  store = await PostgresStateStore.open(database.url);
});
afterAll(async () => {
  await store?.close();
  await database?.drop();
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function recorder() {
  const events: (TaskEvent & Record<string, unknown>)[] = [];
  return { events, sink: { emit: (event: TaskEvent) => void events.push(event as never) } };
}

async function workers(
  queue: string,
  dags: Parameters<typeof startQueueWorker>[0]['dags'],
  names: string[],
  tasks?: string[],
) {
  const logsDir = mkdtempSync(join(tmpdir(), 'fintech-worker-logs-'));
  const started: (QueueWorker & { log: ReturnType<typeof recorder> })[] = [];
  for (const [index, host] of names.entries()) {
    const log = recorder();
    const worker = await startQueueWorker({
      redis: { url: REDIS_URL },
      queue,
      store,
      dags,
      ...(tasks ? { tasks } : {}),
      concurrency: 1,
      logsDir,
      // Hosts other than this one: liveness is their heartbeat, as for workers on other machines.
      identity: { pid: 9000 + index, host, command: 'fintech-etl worker' },
      events: log.sink,
      heartbeatIntervalMs: 200,
      heartbeatTimeoutMs: 60_000,
      timeoutGraceMs: 1000,
      stopGraceMs: 1000,
    });
    cleanups.push(() => worker.drain());
    started.push(Object.assign(worker, { log }));
  }
  return started;
}

function taskQueue(queue: string): TaskQueue {
  const taskQueue = new TaskQueue({ redis: { url: REDIS_URL }, queue });
  cleanups.push(() => taskQueue.close());
  return taskQueue;
}

describe('the queue executor', () => {
  it('runs a DAG on workers with the local executor’s decisions: upstream outputs, retries by policy, one record per try', async (test) => {
    if (skip) test.skip();
    const queue = uniqueQueue('chain');
    let transformCalls = 0;
    const extract = defineTask({
      name: 'extract',
      run: async ({ logicalDate, conf }) => ({
        date: logicalDate,
        rows: 3,
        amounts: ['12.50', '0.01'],
        conf,
      }),
    });
    const transform = defineTask({
      name: 'transform',
      dependsOn: [extract],
      retry: { retries: 2, retryDelay: 0 },
      run: async ({ upstream }, { events }) => {
        transformCalls++;
        events.emit({ kind: 'notice', message: `transforming ${upstream.extract.rows} rows` });
        if (transformCalls === 1) throw new Error('warehouse refused connection');
        return { doubled: upstream.extract.rows * 2 };
      },
    });
    const publish = defineTask({
      name: 'publish',
      dependsOn: [transform],
      run: async ({ upstream }) => ({ published: upstream.transform.doubled }),
    });
    const dag = defineDag({ name: 'qchain', tasks: [extract, transform, publish] });
    const [a, b] = await workers(queue, [dag], ['worker-a', 'worker-b']);
    expect(a!.serves).toEqual(['qchain.extract', 'qchain.transform', 'qchain.publish']);

    const logsDir = mkdtempSync(join(tmpdir(), 'fintech-orchestrator-logs-'));
    const result = await runDag({
      dag,
      store,
      logicalDate: DATE,
      logsDir,
      conf: { note: 'café' },
      executor: queueExecutor(taskQueue(queue), { pollIntervalMs: 200 }),
    });

    expect(result.outcome).toBe('success');
    expect(result.tasks.map((task) => [task.task, task.state, task.tryNumbers])).toEqual([
      ['extract', 'success', [1]],
      ['transform', 'success', [1, 2]],
      ['publish', 'success', [1]],
    ]);
    expect(result.tasks[0]!.output).toEqual({
      date: DATE,
      rows: 3,
      amounts: ['12.50', '0.01'],
      conf: { note: 'café' },
    });
    expect(result.tasks[2]!.output).toEqual({ published: 6 });
    const tries = await store.tries(result.runId);
    expect(tries.map((t) => [t.task, t.tryNumber, t.state, t.error ?? null])).toEqual([
      ['extract', 1, 'success', null],
      ['transform', 1, 'failed', 'warehouse refused connection'],
      ['transform', 2, 'success', null],
      ['publish', 1, 'success', null],
    ]);
    for (const attempt of tries) expect(['worker-a', 'worker-b']).toContain(attempt.process.host);
    // The try's own log is written by the worker that ran it.
    const transformLog = await logEvents(tries[1]!.logPath);
    expect(transformLog.map((event) => event.kind)).toEqual(['task-started', 'notice', 'task-finished']);
    expect(transformLog[0]).toMatchObject({ host: tries[1]!.process.host, pid: tries[1]!.process.pid });
    // The run's log says where each try went and how it ended.
    const runLog = await logEvents(join(logsDir, result.runId, 'run.log'));
    const transformEvents = runLog
      .filter((event) => event['task'] === 'transform')
      .map((event) => [event.kind, event['tryNumber']]);
    expect(transformEvents).toEqual([
      ['try-queued', 1],
      ['try-started', 1],
      ['try-finished', 1],
      ['retry-scheduled', undefined],
      ['try-queued', 2],
      ['try-started', 2],
      ['try-finished', 2],
    ]);
    expect(runLog.find((event) => event.kind === 'try-queued')).toMatchObject({
      queue: taskQueueName(queue, 'qchain', 'extract'),
    });
    expect(a!.running() + b!.running()).toBe(0);
  });

  it('delivers a try twice at once and again later: it runs once, the other deliveries do nothing and say why', async (test) => {
    if (skip) test.skip();
    const queue = uniqueQueue('dup');
    let calls = 0;
    const once = defineTask({
      name: 'once',
      run: async () => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 500));
        return { calls };
      },
    });
    const dag = defineDag({ name: 'qdup', tasks: [once] });
    const started = await workers(queue, [dag], ['worker-a', 'worker-b', 'worker-c']);
    const duplicates = new Queue(taskQueueName(queue, 'qdup', 'once'), {
      connection: { url: REDIS_URL },
      prefix: QUEUE_KEY_PREFIX,
    });
    cleanups.push(() => duplicates.close());
    const jobs: TaskJob[] = [];
    // The queue delivers every job twice: a second copy under another id, as after a redelivery.
    class TwiceDelivered extends TaskQueue {
      override async enqueue(job: TaskJob): Promise<void> {
        jobs.push(job);
        await super.enqueue(job);
        await duplicates.add('once', job, { jobId: `${taskJobId(job)}.again`, removeOnComplete: true });
      }
    }
    const twice = new TwiceDelivered({ redis: { url: REDIS_URL }, queue });
    cleanups.push(() => twice.close());

    const result = await runDag({
      dag,
      store,
      logicalDate: DATE,
      logsDir: mkdtempSync(join(tmpdir(), 'fintech-orchestrator-logs-')),
      executor: queueExecutor(twice, { pollIntervalMs: 200 }),
    });
    expect(result.outcome).toBe('success');
    expect(result.tasks[0]!.output).toEqual({ calls: 1 });

    // Later, the same job once more (a redelivery after the run ended).
    await duplicates.add('once', jobs[0], { jobId: `${taskJobId(jobs[0]!)}.late`, removeOnComplete: true });
    const skipped = () =>
      started.flatMap((worker) =>
        worker.log.events.filter(
          (event) => event.kind === 'notice' && String(event['message']).includes('skipped'),
        ),
      );
    for (let waited = 0; skipped().length < 2 && waited < 10_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(calls).toBe(1);
    expect((await store.tries(result.runId)).map((t) => [t.task, t.tryNumber, t.state])).toEqual([
      ['once', 1, 'success'],
    ]);
    const reasons = skipped().map((event) => String(event['message']));
    expect(reasons).toHaveLength(2);
    expect(
      reasons.some((reason) => reason.includes('is no longer queued: the task is running at try 1')),
    ).toBe(true);
    expect(
      reasons.some((reason) => reason.includes('is no longer queued: the task is success at try 1')),
    ).toBe(true);
    expect((await store.taskInstances(result.runId))[0]).toMatchObject({
      state: 'success',
      tryNumber: 1,
      output: { calls: 1 },
    });
  });

  it('warns when no live worker takes a queued task, and runs it once one does; a worker given tasks takes only those', async (test) => {
    if (skip) test.skip();
    const queue = uniqueQueue('filter');
    const only = defineTask({ name: 'only', run: async () => ({ ok: 1 }) });
    const rest = defineTask({
      name: 'rest',
      dependsOn: [only],
      run: async ({ upstream }) => ({ after: upstream.only.ok }),
    });
    const dag = defineDag({ name: 'qfilter', tasks: [only, rest] });
    const [onlyWorker] = await workers(queue, [dag], ['worker-a'], ['only']);
    expect(onlyWorker!.serves).toEqual(['qfilter.only']);
    const log = recorder();
    const running = runDag({
      dag,
      store,
      logicalDate: DATE,
      logsDir: mkdtempSync(join(tmpdir(), 'fintech-orchestrator-logs-')),
      events: log.sink,
      executor: queueExecutor(taskQueue(queue), {
        pollIntervalMs: 100,
        reconcileIntervalMs: 100,
        unservedWarningMs: 300,
      }),
    });
    const warning = () => log.events.find((event) => event.kind === 'warning');
    for (let waited = 0; !warning() && waited < 20_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(warning()?.['message']).toBe(
      `try 1 of rest is waiting in the queue, but no live worker takes qfilter.rest ` +
        '(start one: fintech-etl worker, with rest in --tasks if you give --tasks)',
    );
    await workers(queue, [dag], ['worker-b']);
    const result = await running;
    expect(result.outcome).toBe('success');
    expect(result.tasks[1]!.output).toEqual({ after: 1 });
    expect((await store.tries(result.runId)).map((t) => [t.task, t.process.host])).toEqual([
      ['only', 'worker-a'],
      ['rest', 'worker-b'],
    ]);
  });

  it('stops a run whose try still waits in the queue: its job is withdrawn, the next run queues the same try', async (test) => {
    if (skip) test.skip();
    const queue = uniqueQueue('stop');
    let calls = 0;
    const wait = defineTask({
      name: 'wait',
      run: async () => {
        calls++;
        return { calls };
      },
    });
    const dag = defineDag({ name: 'qstop', tasks: [wait] });
    const logsDir = mkdtempSync(join(tmpdir(), 'fintech-orchestrator-logs-'));
    const stop = new AbortController();
    const options = {
      dag,
      store,
      logicalDate: DATE,
      logsDir,
      executor: queueExecutor(taskQueue(queue), { pollIntervalMs: 100 }),
    };
    const running = runDag({ ...options, stopSignal: stop.signal });
    const queued = async () => (await store.listRuns({ dag: 'qstop' }))[0];
    for (let waited = 0; waited < 20_000; waited += 50) {
      const run = await queued();
      if (run && (await store.taskInstances(run.runId))[0]?.state === 'queued') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    stop.abort(new Error('SIGTERM'));
    const stopped = await running;
    expect(stopped.outcome).toBe('stopped');
    expect(stopped.error).toBe('stopped during task wait (SIGTERM); the next run resumes it');
    const bull = new Queue(taskQueueName(queue, 'qstop', 'wait'), {
      connection: { url: REDIS_URL },
      prefix: QUEUE_KEY_PREFIX,
    });
    cleanups.push(() => bull.close());
    expect(await bull.getJobCounts('waiting', 'active', 'delayed')).toEqual({
      waiting: 0,
      active: 0,
      delayed: 0,
    });
    expect(await store.tries(stopped.runId)).toEqual([]);

    await workers(queue, [dag], ['worker-a']);
    const resumed = await runDag(options);
    expect(resumed).toMatchObject({ outcome: 'success', runId: stopped.runId, resumed: true });
    expect((await store.tries(stopped.runId)).map((t) => [t.tryNumber, t.state])).toEqual([[1, 'success']]);
    expect(calls).toBe(1);
  });
});
