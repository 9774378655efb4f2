/**
 * A queue worker (`fintech-etl worker`): takes the jobs of the tasks it serves from their BullMQ queues (one
 * queue per task of each DAG it knows, `<queue>.<dag>.<task>`) and runs each through run-queued-try.ts, at most
 * `concurrency` at once across all of them. Its row in the state store's `workers` table carries a heartbeat and
 * its state (running, draining, stopped); the tries it runs carry its pid and host.
 *
 * BullMQ caps concurrency per queue, not per process, so a process serving several queues pauses all of its
 * queue consumers while it is full. A job one of them still fetched (a blocking fetch already under way) goes
 * straight back to the queue for another worker (`moveToDelayed` to now: BullMQ's way to hand a job back).
 *
 * `drain()` (SIGTERM) takes no new job and returns when the running tries have finished; `stop()` (a second
 * SIGTERM) aborts them: each gets `stopGraceMs`, then is recorded abandoned, and the run's executor retries it
 * elsewhere.
 */
import { randomBytes } from 'node:crypto';
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Dag } from '../../definitions/dag.ts';
import type { TaskEventSink } from '../../definitions/task-event.ts';
import type { ProcessIdentity, StateStore, WorkerState } from '../../state/state-store.ts';
import { type Clock, systemClock } from '../clock.ts';
import { errorSentence } from '../error-sentence.ts';
import type { LivenessCheck } from '../process-identity.ts';
import { bullConnection, QUEUE_KEY_PREFIX, type RedisTarget } from './redis-connection.ts';
import { type QueuedTryOutcome, runQueuedTry } from './run-queued-try.ts';
import { parseTaskJob, taskQueueName } from './task-job.ts';

export interface QueueWorkerOptions {
  redis: RedisTarget;
  /** Config `executor.queue`. */
  queue: string;
  store: StateStore;
  /** The DAGs it runs (with the config's task overrides applied). */
  dags: readonly Dag[];
  /** Only these task names (`worker --tasks`); default every task of every DAG. */
  tasks?: readonly string[];
  concurrency: number;
  logsDir: string;
  identity: ProcessIdentity;
  clock?: Clock;
  /** The worker's own events (its stderr) and every event of the tries it runs. */
  events: TaskEventSink;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  timeoutGraceMs: number;
  stopGraceMs: number;
  /** How long BullMQ's lock on a job lasts without renewal (its worker died); BullMQ's default is 30 s. */
  lockDurationMs?: number;
  isAlive?: (pid: number) => boolean;
}

export interface QueueWorker {
  workerId: string;
  /** The task queues it takes jobs from, as `dag.task`. */
  serves: string[];
  /** Tries it is running now. */
  running(): number;
  /** Takes no new job; resolves when the running tries have ended and the worker is recorded stopped. */
  drain(): Promise<void>;
  /** Aborts the running tries (each gets stopGraceMs), then drains. */
  stop(): Promise<void>;
}

export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const { store, events, identity } = options;
  const clock = options.clock ?? systemClock;
  const workerId = `${identity.host}-${identity.pid}-${randomBytes(3).toString('hex')}`;
  const serves = options.dags.flatMap((dag) =>
    dag.order
      .filter((task) => options.tasks === undefined || options.tasks.includes(task))
      .map((task) => ({ dag: dag.name, task })),
  );
  const hardStop = new AbortController();
  const dags = new Map(options.dags.map((dag) => [dag.name, dag]));
  const liveness = (): LivenessCheck => ({
    now: clock.now(),
    heartbeatTimeoutMs: options.heartbeatTimeoutMs,
    localHost: identity.host,
    ...(options.isAlive ? { isAlive: options.isAlive } : {}),
  });
  let errorsReported = 0;
  const reportError = (what: string, error: unknown) => {
    // A lost Redis makes every consumer report every retry: a few lines say it, more would bury the rest.
    if (errorsReported++ < 5) events.emit({ kind: 'warning', message: `${what}: ${errorSentence(error)}` });
  };

  await store.registerWorker({
    workerId,
    process: identity,
    queue: options.queue,
    tasks: serves.map(({ dag, task }) => `${dag}.${task}`),
    concurrency: options.concurrency,
    startedAt: clock.now(),
  });
  const heartbeat = setInterval(() => {
    store.updateWorker(workerId, { heartbeatAt: clock.now() }).catch((error) => {
      reportError('could not record the worker heartbeat', error);
    });
  }, options.heartbeatIntervalMs);

  let running = 0;
  let draining = false;
  const consumers: Worker[] = [];
  const pauseAll = () => {
    for (const consumer of consumers) void consumer.pause(true);
  };
  const resumeAll = () => {
    for (const consumer of consumers) void consumer.resume();
  };
  const context = {
    store,
    dags,
    logsDir: options.logsDir,
    identity,
    clock,
    events,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    timeoutGraceMs: options.timeoutGraceMs,
    stopGraceMs: options.stopGraceMs,
    stopSignal: hardStop.signal,
    liveness,
  };

  const take = async (job: Job, token?: string): Promise<QueuedTryOutcome> => {
    if (draining || running >= options.concurrency) {
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    running++;
    if (running >= options.concurrency) pauseAll();
    try {
      const parsed = parseTaskJob(job.data);
      if (typeof parsed === 'string') {
        events.emit({ kind: 'warning', message: `job ${job.id} is not a fintech-etl task job (${parsed})` });
        return { status: 'skipped', reason: parsed };
      }
      const outcome = await runQueuedTry(parsed, context);
      if (outcome.status === 'skipped') {
        events.emit({ kind: 'notice', message: `job ${job.id} skipped: ${outcome.reason}` });
      }
      return outcome;
    } finally {
      running--;
      if (!draining && running < options.concurrency) resumeAll();
    }
  };

  for (const { dag, task } of serves) {
    const consumer = new Worker(taskQueueName(options.queue, dag, task), take, {
      connection: bullConnection(options.redis, 'waits'),
      prefix: QUEUE_KEY_PREFIX,
      concurrency: options.concurrency,
      name: workerId,
      ...(options.lockDurationMs !== undefined
        ? { lockDuration: options.lockDurationMs, stalledInterval: options.lockDurationMs }
        : {}),
    });
    consumer.on('error', (error) => reportError(`queue ${consumer.name}`, error));
    consumers.push(consumer);
  }
  await Promise.all(consumers.map((consumer) => consumer.waitUntilReady()));
  events.emit({
    kind: 'notice',
    message:
      `worker ${workerId} takes ${serves.map(({ dag, task }) => `${dag}.${task}`).join(', ') || 'no task'} ` +
      `from queue ${options.queue}, ${options.concurrency} at a time`,
  });

  let drained: Promise<void> | undefined;
  const setState = (state: WorkerState) =>
    store.updateWorker(workerId, { heartbeatAt: clock.now(), state }).catch((error) => {
      reportError(`could not record the worker as ${state}`, error);
    });
  const drain = () => {
    drained ??= (async () => {
      draining = true;
      await setState('draining');
      await Promise.all(consumers.map((consumer) => consumer.close()));
      clearInterval(heartbeat);
      await setState('stopped');
    })();
    return drained;
  };
  return {
    workerId,
    serves: serves.map(({ dag, task }) => `${dag}.${task}`),
    running: () => running,
    drain,
    stop: () => {
      hardStop.abort(new Error('the worker was asked to stop now'));
      return drain();
    },
  };
}
