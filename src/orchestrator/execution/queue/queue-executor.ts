/**
 * The queue executor, on the side that drives a run (`run`, `backfill`, `scheduler` through runDag): each try is
 * recorded as queued in the state store, then handed to a worker as a BullMQ job (queue-worker.ts). The state
 * store says how it goes: this side reads the try's record until it ends, wakes early when BullMQ reports the job
 * ended, and repairs what the queue cannot:
 *
 * - a try still queued in the state whose job Redis no longer has (restarted, flushed) gets its job again;
 * - a try running on a dead worker (its pid gone on this host, or no heartbeat for the heartbeat timeout) is
 *   marked killed, and runDag's retry policy queues the next try, which another worker takes.
 *
 * Retries are runDag's, from the DAG's retry policy (each job has one BullMQ attempt), so a try is retried the
 * same way whichever executor ran it, and every try is in the state store.
 */
import type { AnyTask, TaskInput } from '../../definitions/task-definition.ts';
import type { TryRecord } from '../../state/state-store.ts';
import { markDeadTries } from '../dead-tries.ts';
import { errorSentence } from '../error-sentence.ts';
import { deadHolderReason } from '../process-identity.ts';
import type { TaskRunnerSettings } from '../run-task.ts';
import type { TaskExecutor, TryResult } from '../task-executor.ts';
import type { TaskJob } from './task-job.ts';
import type { TaskQueue } from './task-queue.ts';

export interface QueueExecutorOptions {
  /** How often a try's record is read when BullMQ reports nothing (its end event is missed after a Redis loss). */
  pollIntervalMs?: number;
  /** How often a try still queued has its job checked, and added again if Redis lost it. */
  reconcileIntervalMs?: number;
  /** After this long queued, a try whose task no live worker takes gets a warning saying so. */
  unservedWarningMs?: number;
}

export function queueExecutor(queue: TaskQueue, options: QueueExecutorOptions = {}): TaskExecutor {
  return {
    kind: 'queue',
    runTry: (settings, task, _input: TaskInput, tryNumber) =>
      runTryOnQueue(queue, options, settings, task, tryNumber),
  };
}

async function runTryOnQueue(
  queue: TaskQueue,
  options: QueueExecutorOptions,
  settings: TaskRunnerSettings,
  task: AnyTask,
  tryNumber: number,
): Promise<TryResult> {
  const { store, run, runEvents, stopSignal } = settings;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const reconcileIntervalMs = options.reconcileIntervalMs ?? 2000;
  const job: TaskJob = {
    dag: settings.dag.name,
    runId: run.runId,
    logicalDate: run.logicalDate,
    task: task.name,
    tryNumber,
  };
  const warn = (what: string, error: unknown) =>
    runEvents.emit({ kind: 'warning', message: `${what}: ${errorSentence(error)}` });

  // Queued in the state first: a job can only start a try the state says is queued (startQueuedTry).
  await store.queueTask(run.runId, task.name, tryNumber, settings.clock.now());
  const queuedAt = Date.now();
  let lastCheck = queuedAt;
  let warnedUnserved = false;
  await queue
    .enqueue(job)
    .catch((error) => warn(`could not queue try ${tryNumber} of ${task.name} yet`, error));
  runEvents.emit({ kind: 'try-queued', task: task.name, tryNumber, queue: queue.queueNameOf(job) });

  let startedBy: TryRecord['process'] | undefined;
  let stopDeadline: number | undefined;
  for (;;) {
    const attempt = await tryOf(settings, task.name, tryNumber);
    if (attempt === undefined) {
      if (stopSignal.aborted) {
        await queue.withdraw(job).catch(() => undefined);
        // A worker may have taken it just before: then that try runs, and is followed like any other.
        if ((await tryOf(settings, task.name, tryNumber)) === undefined)
          return { ok: false, notStarted: true };
        continue;
      }
      if (Date.now() - lastCheck >= reconcileIntervalMs) {
        lastCheck = Date.now();
        const requeued = await queue
          .ensure(job)
          .catch((error) => warn(`could not check the job of try ${tryNumber} of ${task.name}`, error));
        if (!warnedUnserved && Date.now() - queuedAt >= (options.unservedWarningMs ?? 30_000)) {
          warnedUnserved = await warnIfUnserved(settings, queue.queue, job);
        }
        if (requeued) {
          runEvents.emit({
            kind: 'try-requeued',
            task: task.name,
            tryNumber,
            reason: 'the queue no longer held its job (Redis restarted or lost its data)',
          });
        }
      }
    } else {
      if (!startedBy) {
        startedBy = attempt.process;
        runEvents.emit({
          kind: 'try-started',
          task: task.name,
          tryNumber,
          pid: startedBy.pid,
          host: startedBy.host,
        });
      }
      if (attempt.state === 'success' || attempt.state === 'failed') return finished(settings, attempt);
      const dead = await markDeadTries(store, run.runId, settings.liveness(), settings.identity, task.name);
      if (dead.recovered.some((recovered) => recovered.tryNumber === tryNumber)) continue;
      if (stopSignal.aborted) {
        stopDeadline ??= Date.now() + settings.stopGraceMs;
        if (Date.now() >= stopDeadline) {
          return {
            ok: false,
            error:
              `stopped while try ${tryNumber} of ${task.name} runs on process ${attempt.process.pid} on ` +
              `${attempt.process.host}, which goes on with it`,
            failureKind: 'abandoned',
            retryable: false,
            logPath: attempt.logPath,
          };
        }
      }
    }
    const waitMs = stopDeadline === undefined ? pollIntervalMs : Math.min(pollIntervalMs, 250);
    await queue.waitForEnd(job, waitMs, stopDeadline === undefined ? stopSignal : undefined);
  }
}

/** True when it warned: no worker that is alive takes this task's jobs. */
async function warnIfUnserved(
  settings: TaskRunnerSettings,
  queueName: string,
  job: TaskJob,
): Promise<boolean> {
  const check = settings.liveness();
  const workers = await settings.store.listWorkers();
  const queueTask = `${job.dag}.${job.task}`;
  const serving = workers.filter(
    (worker) =>
      worker.queue === queueName &&
      worker.tasks.includes(queueTask) &&
      deadHolderReason(worker.process, worker.heartbeatAt, check) === undefined,
  );
  if (serving.length) return false;
  settings.runEvents.emit({
    kind: 'warning',
    message:
      `try ${job.tryNumber} of ${job.task} is waiting in the queue, but no live worker takes ${queueTask} ` +
      `(start one: fintech-etl worker, with ${job.task} in --tasks if you give --tasks)`,
  });
  return true;
}

async function tryOf(
  settings: TaskRunnerSettings,
  task: string,
  tryNumber: number,
): Promise<TryRecord | undefined> {
  return (await settings.store.tries(settings.run.runId, task)).find(
    (attempt) => attempt.tryNumber === tryNumber,
  );
}

/** The ended try as the executor's result, with the output its worker recorded on the task instance. */
async function finished(settings: TaskRunnerSettings, attempt: TryRecord): Promise<TryResult> {
  const seconds =
    ((attempt.finishedAt ?? attempt.heartbeatAt).getTime() - attempt.startedAt.getTime()) / 1000;
  settings.runEvents.emit({
    kind: 'try-finished',
    task: attempt.task,
    tryNumber: attempt.tryNumber,
    status: attempt.state,
    seconds,
    pid: attempt.process.pid,
    host: attempt.process.host,
    ...(attempt.error ? { error: attempt.error, failureKind: attempt.failureKind } : {}),
  });
  if (attempt.state === 'success') {
    const instance = (await settings.store.taskInstances(settings.run.runId)).find(
      (candidate) => candidate.task === attempt.task,
    );
    return { ok: true, output: instance?.output ?? null };
  }
  return {
    ok: false,
    error: attempt.error ?? `try ${attempt.tryNumber} of ${attempt.task} failed`,
    failureKind: attempt.failureKind ?? 'error',
    retryable: attempt.retryable !== false,
    logPath: attempt.logPath,
  };
}
