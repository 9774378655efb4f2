/**
 * What a worker does with one job: rebuilds the try's input from the state store (the run's conf and logical
 * date, the recorded outputs of the task's dependencies) and runs the try through the same `runTry` as the local
 * executor — same try record, heartbeats, timeout, log file and events — starting it only while the state store
 * still says it is queued. A job delivered twice, or a stale one, does nothing and says why.
 */
import type { Dag } from '../../definitions/dag.ts';
import { NO_TASK_EVENTS, type TaskEventSink } from '../../definitions/task-event.ts';
import { type ProcessIdentity, StateConflictError, type StateStore } from '../../state/state-store.ts';
import { NO_ALERTS } from '../alerts.ts';
import type { Clock } from '../clock.ts';
import type { LivenessCheck } from '../process-identity.ts';
import { localExecutor, runTry } from '../run-task.ts';
import type { TaskJob } from './task-job.ts';

export interface QueuedTryContext {
  store: StateStore;
  /** The DAGs this worker runs, by name (with the config's task overrides applied). */
  dags: ReadonlyMap<string, Dag>;
  logsDir: string;
  identity: ProcessIdentity;
  clock: Clock;
  events: TaskEventSink;
  heartbeatIntervalMs: number;
  timeoutGraceMs: number;
  stopGraceMs: number;
  /** Aborted when the worker must stop now (a second SIGTERM): running tries get stopGraceMs, then are abandoned. */
  stopSignal: AbortSignal;
  liveness(): LivenessCheck;
}

export type QueuedTryOutcome =
  | { status: 'success' | 'failed'; tryNumber: number }
  /** Nothing was run: the try was not queued any more (a duplicate or stale job), or its run is gone. */
  | { status: 'skipped'; reason: string };

export async function runQueuedTry(job: TaskJob, context: QueuedTryContext): Promise<QueuedTryOutcome> {
  const { store } = context;
  const run = await store.getRun(job.runId);
  if (!run) return { status: 'skipped', reason: `run ${job.runId} does not exist in ${store.location}` };
  const dag = context.dags.get(job.dag);
  const task = dag?.tasks.find((candidate) => candidate.name === job.task);
  // Its queue is named after a task of a DAG this worker has, so only a job put there by hand lands here.
  if (!dag || !task)
    return { status: 'skipped', reason: `this worker has no task ${job.task} in a DAG ${job.dag}` };

  const instances = new Map(
    (await store.taskInstances(run.runId)).map((instance) => [instance.task, instance]),
  );
  const input = {
    dag: dag.name,
    logicalDate: run.logicalDate,
    runId: run.runId,
    conf: run.conf,
    upstream: Object.fromEntries(
      task.dependencies.map((dependency) => [dependency, instances.get(dependency)?.output ?? null]),
    ),
  };
  try {
    const result = await runTry(
      {
        store,
        dag,
        run,
        logsDir: context.logsDir,
        identity: context.identity,
        clock: context.clock,
        random: Math.random,
        events: context.events,
        // Alerts and retries belong to the process driving the run, which reads this try's record.
        alerts: NO_ALERTS,
        heartbeatIntervalMs: context.heartbeatIntervalMs,
        timeoutGraceMs: context.timeoutGraceMs,
        stopGraceMs: context.stopGraceMs,
        stopSignal: context.stopSignal,
        singleTry: true,
        executor: localExecutor,
        runEvents: NO_TASK_EVENTS,
        liveness: context.liveness,
        queuedTry: true,
      },
      task,
      input,
      job.tryNumber,
    );
    return { status: result.ok ? 'success' : 'failed', tryNumber: job.tryNumber };
  } catch (error) {
    if (error instanceof StateConflictError) return { status: 'skipped', reason: error.message };
    throw error;
  }
}
