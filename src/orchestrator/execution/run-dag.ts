/**
 * Runs a DAG for one logical date over a StateStore. It creates the run (or resumes the
 * date's failed or killed run from its first task that did not succeed, reusing the recorded outputs of those
 * that did), runs tasks in dependency order — independent ones at once up to the DAG's `maxActiveTasks` —
 * with retries, timeouts, heartbeats and one event log per try, and records every step as it happens.
 *
 * Each try runs where `executor` puts it: in this process (default), or on queue workers
 * (queue/queue-executor.ts); the decisions — order, retries, what a stop or a dead process means — are made here
 * either way.
 *
 * It does not take the writer lease: callers that write (run, backfill, scheduler) hold it around this call
 * (lease.ts) and pass `lease.lost` in `stopSignal`.
 *
 * @example
 *   const result = await runDag({ dag, store, logicalDate: '2025-03-01', logsDir: join(home, 'logs') });
 *   if (result.outcome !== 'success' && result.outcome !== 'already-succeeded') process.exitCode = 1;
 */
import type { IsoDate } from '../../core/dates.ts';
import { UsageError } from '../../core/errors.ts';
import { isProcessAlive } from '../../core/process-alive.ts';
import { newRunId } from '../../core/run-id.ts';
import type { Dag } from '../definitions/dag.ts';
import type { JsonObject, JsonValue } from '../definitions/json-value.ts';
import { NO_TASK_EVENTS, type TaskEvent, type TaskEventSink } from '../definitions/task-event.ts';
import {
  type ProcessIdentity,
  type RunFacts,
  type RunState,
  type RunTrigger,
  StateConflictError,
  type StateStore,
  type TaskInstanceRecord,
  type TaskState,
  type TryRecord,
} from '../state/state-store.ts';
import { type AlertSender, NO_ALERTS } from './alerts.ts';
import { type Clock, systemClock } from './clock.ts';
import { markDeadTries, RunInProgressError, takeOverUnfinishedRun } from './dead-tries.ts';
import { errorSentence } from './error-sentence.ts';
import { EventLog, redactEvent, runLogPath } from './event-log.ts';
import { currentProcess, type LivenessCheck } from './process-identity.ts';
import { localExecutor, runTask, type TaskRunnerSettings, type TaskRunOutcome } from './run-task.ts';
import { type RunMode, selectTasks } from './select-tasks.ts';
import type { TaskExecutor } from './task-executor.ts';

export interface RunDagOptions extends RunMode {
  dag: Dag;
  store: StateStore;
  logicalDate: IsoDate;
  /** `<home>/logs`: run and try logs go under `<logsDir>/<run id>/`. */
  logsDir: string;
  trigger?: RunTrigger;
  /** Parameters recorded with a new run and given to every task as `input.conf` (a resumed run keeps its own). */
  conf?: JsonObject;
  /** Recorded on the run when it is created or resumed (what plan compares against later). */
  facts?: RunFacts;
  /** Id of a newly created run; default `run-<date>-<time>-<random>`. */
  runId?: string;
  identity?: ProcessIdentity;
  clock?: Clock;
  /** Jitter source of the retry delays. */
  random?: () => number;
  events?: TaskEventSink;
  alerts?: AlertSender;
  heartbeatIntervalMs?: number;
  /** A try or run whose heartbeat is older than this belongs to a dead process. */
  heartbeatTimeoutMs?: number;
  timeoutGraceMs?: number;
  stopGraceMs?: number;
  /** Aborted on SIGTERM or a lost lease: no new task starts, running tries get stopGraceMs, then are abandoned. */
  stopSignal?: AbortSignal;
  isAlive?: (pid: number) => boolean;
  /** One try per task, ignoring retry policies: for `fintech-etl task` under Airflow, which does the retrying. */
  singleTry?: boolean;
  /** Where tries run: this process (default) or queue workers (config `executor`, src/cli/open-task-executor.ts). */
  executor?: TaskExecutor;
  /**
   * Waits, once its dependencies succeeded, until a task may start: the dates of a backfill run at once, their
   * commits and warehouse tasks in date order (date-order-gates.ts). It settles early when the stop signal aborts.
   */
  gate?: (task: string) => Promise<void>;
  /** Told when a task of this call ends (succeeded, failed, stopped, or could not run for a failed dependency). */
  onTaskDone?: (task: string, state: Exclude<LocalState, 'pending' | 'running'>) => void;
}

export type DagRunOutcome = 'success' | 'failed' | 'stopped' | 'queued' | 'already-succeeded';

export interface TaskResult {
  task: string;
  /** The task's state in the run when this call returned; `not-run` when it has no instance. */
  state: TaskState | 'not-run';
  /** Its output came from the state store instead of running. */
  reused: boolean;
  /** Tries this call started. */
  tryNumbers: number[];
  output?: JsonValue;
  error?: string;
  /** The log of its latest try in this call. */
  logPath?: string;
}

export interface DagRunResult {
  runId: string;
  dag: string;
  logicalDate: IsoDate;
  /** queued: `onlyTask` ran and other tasks of the run remain. */
  outcome: DagRunOutcome;
  /** This call continued a run that had failed or been killed. */
  resumed: boolean;
  error?: string;
  tasks: TaskResult[];
  /** Tries of the run left by a dead process and marked failed (killed) by this call. */
  recovered: TryRecord[];
}

type LocalState = 'pending' | 'running' | 'success' | 'failed' | 'upstream_failed' | 'stopped';

export async function runDag(options: RunDagOptions): Promise<DagRunResult> {
  const { dag, store, logicalDate } = options;
  const clock = options.clock ?? systemClock;
  const identity = options.identity ?? currentProcess();
  const events = options.events ?? NO_TASK_EVENTS;
  const stopSignal = options.stopSignal ?? new AbortController().signal;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 10_000;
  const check = (): LivenessCheck => ({
    now: clock.now(),
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 120_000,
    localHost: identity.host,
    isAlive: options.isAlive ?? isProcessAlive,
  });
  for (const [flag, task] of [
    ['--from-task', options.fromTask],
    ['task', options.onlyTask],
  ] as const) {
    if (task !== undefined && !dag.order.includes(task)) {
      throw new UsageError(
        `${flag} '${task}': DAG ${dag.name} has no such task (tasks: ${dag.order.join(', ')})`,
      );
    }
  }
  const taskMode = options.onlyTask !== undefined;

  let run = await store.latestRun(dag.name, logicalDate);
  let recovered: TryRecord[] = [];
  let resumedFromFailure = run?.state === 'failed';
  if (run && (run.state === 'running' || run.state === 'queued')) {
    if (taskMode) {
      const dead = await markDeadTries(store, run.runId, check(), identity, options.onlyTask);
      recovered = dead.recovered;
      if (dead.alive.length) {
        const attempt = dead.alive[0]!;
        throw new RunInProgressError(
          `task ${attempt.task} of ${dag.name} for ${logicalDate} is running: process ${attempt.process.pid} on ` +
            `${attempt.process.host} (${attempt.process.command}), started ${attempt.startedAt.toISOString()}`,
        );
      }
    } else {
      recovered = await takeOverUnfinishedRun(store, run, check(), identity);
      resumedFromFailure ||= run.state === 'running';
    }
  }

  if (run?.state === 'success' && !taskMode && !options.force && options.fromTask === undefined) {
    return {
      runId: run.runId,
      dag: dag.name,
      logicalDate,
      outcome: 'already-succeeded',
      resumed: false,
      tasks: await taskResults(store, dag, run.runId, new Map()),
      recovered,
    };
  }

  // A succeeded date starts a new run (reusing what --from-task keeps); anything else continues its run.
  const startNew = !run || (run.state === 'success' && !taskMode);
  const reuseFrom = startNew ? run : undefined;
  const instances = new Map(
    run ? (await store.taskInstances(run.runId)).map((instance) => [instance.task, instance]) : [],
  );
  // Decided before anything is written, so a refused `task` leaves no run behind.
  const selection = selectTasks(dag, instances, options, logicalDate);
  if (startNew) {
    run = await store.createRun({
      runId: options.runId ?? newRunId(`run-${logicalDate}`),
      dag: dag.name,
      logicalDate,
      state: 'running',
      trigger: options.trigger ?? (taskMode ? 'task' : 'manual'),
      conf: options.conf ?? {},
      startedAt: clock.now(),
      process: identity,
      ...(options.facts ? { facts: options.facts } : {}),
    });
  } else {
    await store.updateRun(run!.runId, {
      state: 'running',
      failureKind: null,
      error: null,
      finishedAt: null,
      heartbeatAt: clock.now(),
      process: identity,
      ...(options.facts ? { facts: options.facts } : {}),
    });
    run = (await store.getRun(run!.runId))!;
  }
  const current = run;
  const resumed = !startNew && (resumedFromFailure || recovered.length > 0);

  const outputs = new Map<string, JsonValue>();
  for (const task of selection.reuse) {
    const instance = instances.get(task);
    if (instance?.state !== 'success') continue;
    outputs.set(task, instance.output ?? null);
    if (reuseFrom) {
      await store.setTaskInstance(
        current.runId,
        task,
        { state: 'success', output: instance.output ?? null, reusedFromRun: reuseFrom.runId },
        clock.now(),
      );
    }
  }

  const runLog = EventLog.open(runLogPath(options.logsDir, current.runId), clock.now);
  const emitRun = <E extends TaskEvent>(event: E) => {
    const safe = redactEvent(event);
    runLog.emit(safe);
    events.emit(safe);
  };
  emitRun({
    kind: 'run-started',
    runId: current.runId,
    dag: dag.name,
    logicalDate,
    resumed,
    ...(options.force ? { force: true } : {}),
    ...(options.fromTask !== undefined ? { fromTask: options.fromTask } : {}),
    ...(options.onlyTask !== undefined ? { onlyTask: options.onlyTask } : {}),
    run: selection.run,
    reuse: selection.reuse,
    ...(reuseFrom ? { reusedFromRun: reuseFrom.runId } : {}),
    recoveredTries: recovered.map((attempt) => ({
      task: attempt.task,
      tryNumber: attempt.tryNumber,
      error: attempt.error,
    })),
    pid: identity.pid,
    host: identity.host,
  });

  const runHeartbeat = setInterval(() => {
    store.updateRun(current.runId, { heartbeatAt: clock.now() }).catch(() => undefined);
  }, heartbeatIntervalMs);

  const alerts = options.alerts ?? NO_ALERTS;
  const warnRun = (message: string) => emitRun({ kind: 'warning', message });
  const settings: TaskRunnerSettings = {
    store,
    dag,
    run: current,
    logsDir: options.logsDir,
    identity,
    clock,
    random: options.random ?? Math.random,
    events,
    alerts,
    heartbeatIntervalMs,
    timeoutGraceMs: options.timeoutGraceMs ?? 30_000,
    stopGraceMs: options.stopGraceMs ?? 30_000,
    stopSignal,
    singleTry: options.singleTry ?? false,
    executor: options.executor ?? localExecutor,
    runEvents: { emit: emitRun },
    liveness: check,
  };

  /** Runs the task once its gate opens; a stop while it waits leaves it pending (it never started). */
  const startWhenOpen = async (
    task: string,
    start: () => Promise<TaskRunOutcome>,
  ): Promise<TaskRunOutcome | { state: 'gate-stopped' }> => {
    if (options.gate) await options.gate(task);
    return stopSignal.aborted && options.gate ? { state: 'gate-stopped' } : start();
  };

  const states = new Map<string, LocalState>();
  for (const task of selection.run) states.set(task, 'pending');
  for (const task of selection.reuse) states.set(task, outputs.has(task) ? 'success' : 'pending');
  const outcomes = new Map<string, TaskRunOutcome>();
  const active = new Map<string, Promise<void>>();

  try {
    for (;;) {
      for (const task of dag.order) {
        if (states.get(task) !== 'pending') continue;
        const blockedBy = dag
          .task(task)
          .dependencies.find((dependency) =>
            ['failed', 'upstream_failed'].includes(states.get(dependency) ?? ''),
          );
        if (blockedBy === undefined) continue;
        states.set(task, 'upstream_failed');
        await store.setTaskInstance(current.runId, task, { state: 'upstream_failed' }, clock.now());
        options.onTaskDone?.(task, 'upstream_failed');
        emitRun({ kind: 'task-upstream-failed', task, upstream: blockedBy });
      }
      if (!stopSignal.aborted) {
        for (const task of selection.run) {
          if (active.size >= dag.maxActiveTasks) break;
          if (states.get(task) !== 'pending') continue;
          const definition = dag.task(task);
          if (!definition.dependencies.every((dependency) => states.get(dependency) === 'success')) continue;
          states.set(task, 'running');
          const instance = instances.get(task);
          // A try that was queued but never started (its run stopped first) is queued again under its number.
          const previousTry =
            instance?.state === 'queued' ? instance.tryNumber - 1 : (instance?.tryNumber ?? 0);
          const input = {
            dag: dag.name,
            logicalDate,
            runId: current.runId,
            conf: current.conf,
            upstream: Object.fromEntries(
              definition.dependencies.map((dependency) => [dependency, outputs.get(dependency)]),
            ),
          };
          const startTry = reuseFrom ? 0 : previousTry;
          active.set(
            task,
            startWhenOpen(task, () => runTask(settings, definition, input, startTry)).then(
              async (outcome) => {
                if (outcome.state !== 'gate-stopped') outcomes.set(task, outcome);
                if (outcome.state === 'success') {
                  outputs.set(task, outcome.output);
                  states.set(task, 'success');
                } else if (outcome.state === 'failed') {
                  states.set(task, 'failed');
                  await alerts.send(
                    {
                      event: 'failure',
                      dag: dag.name,
                      logicalDate,
                      runId: current.runId,
                      task,
                      tryNumber: outcome.lastTry,
                      error: outcome.error,
                      logPath: outcome.logPath,
                    },
                    warnRun,
                  );
                } else {
                  states.set(task, outcome.state === 'gate-stopped' ? 'pending' : 'stopped');
                }
                const done = states.get(task)!;
                if (done !== 'pending' && done !== 'running') options.onTaskDone?.(task, done);
                active.delete(task);
              },
            ),
          );
        }
      }
      if (active.size === 0) break;
      await Promise.race(active.values());
    }
  } catch (error) {
    clearInterval(runHeartbeat);
    runLog.close();
    // Another process started the same try: the run is theirs now, leave its record alone.
    if (error instanceof StateConflictError) throw error;
    // The state store failed under us: record what we can; a run left `running` is recognised as dead later.
    await store
      .updateRun(current.runId, {
        state: 'failed',
        failureKind: 'task',
        error: errorSentence(error),
        finishedAt: clock.now(),
      })
      .catch(() => undefined);
    throw error;
  }
  clearInterval(runHeartbeat);

  const allInstances = new Map(
    (await store.taskInstances(current.runId)).map((instance) => [instance.task, instance]),
  );
  const final = decideRunState(dag, allInstances, states, outcomes, stopSignal);
  const finishedAt = clock.now();
  await store.updateRun(current.runId, {
    state: final.state,
    failureKind: final.failureKind ?? null,
    error: final.error ?? null,
    finishedAt: final.state === 'success' || final.state === 'failed' ? finishedAt : null,
    heartbeatAt: finishedAt,
  });
  if (final.state === 'success' && (resumed || (await previousRunFailed(store, dag.name, current.runId)))) {
    await alerts.send({ event: 'recovery', dag: dag.name, logicalDate, runId: current.runId }, warnRun);
  }
  const outcome: DagRunOutcome =
    final.failureKind === 'stopped' ? 'stopped' : (final.state as Exclude<RunState, 'running'>);
  emitRun({
    kind: 'run-finished',
    runId: current.runId,
    state: final.state,
    ...(final.error ? { error: final.error } : {}),
    seconds: (finishedAt.getTime() - current.startedAt.getTime()) / 1000,
  });
  runLog.close();
  return {
    runId: current.runId,
    dag: dag.name,
    logicalDate,
    outcome,
    resumed,
    ...(final.error ? { error: final.error } : {}),
    tasks: await taskResults(store, dag, current.runId, outcomes, new Set(selection.reuse)),
    recovered,
  };
}

interface FinalState {
  state: 'success' | 'failed' | 'queued';
  failureKind?: 'task' | 'stopped';
  error?: string;
}

function decideRunState(
  dag: Dag,
  instances: ReadonlyMap<string, TaskInstanceRecord>,
  states: ReadonlyMap<string, LocalState>,
  outcomes: ReadonlyMap<string, TaskRunOutcome>,
  stopSignal: AbortSignal,
): FinalState {
  const failed = dag.order.find((task) => instances.get(task)?.state === 'failed');
  if (stopSignal.aborted) {
    const interrupted = dag.order.find((task) => states.get(task) === 'stopped');
    const waiting = dag.order.find((task) => states.get(task) === 'pending');
    if (interrupted !== undefined || waiting !== undefined) {
      const reason =
        stopSignal.reason instanceof Error ? stopSignal.reason.message : 'the process was asked to stop';
      return {
        state: 'failed',
        failureKind: 'stopped',
        error:
          interrupted !== undefined
            ? `stopped during task ${interrupted} (${reason}); the next run resumes it`
            : `stopped before task ${waiting} (${reason}); the next run resumes it`,
      };
    }
  }
  if (failed !== undefined) {
    const outcome = outcomes.get(failed);
    const detail =
      outcome && 'error' in outcome ? `${outcome.error} (try ${outcome.lastTry})` : 'see its log';
    return { state: 'failed', failureKind: 'task', error: `task ${failed} failed: ${detail}` };
  }
  const upstreamFailed = dag.order.find((task) => instances.get(task)?.state === 'upstream_failed');
  if (upstreamFailed !== undefined) {
    return {
      state: 'failed',
      failureKind: 'task',
      error: `task ${upstreamFailed} could not run: a dependency failed`,
    };
  }
  if (dag.order.every((task) => instances.get(task)?.state === 'success')) return { state: 'success' };
  return { state: 'queued' };
}

async function previousRunFailed(store: StateStore, dag: string, runId: string): Promise<boolean> {
  const finished = await store.listRuns({ dag, states: ['success', 'failed'], limit: 2 });
  const previous = finished.find((run) => run.runId !== runId);
  return previous?.state === 'failed';
}

async function taskResults(
  store: StateStore,
  dag: Dag,
  runId: string,
  outcomes: ReadonlyMap<string, TaskRunOutcome>,
  reused: ReadonlySet<string> = new Set(),
): Promise<TaskResult[]> {
  const instances = new Map((await store.taskInstances(runId)).map((instance) => [instance.task, instance]));
  return dag.order.map((task) => {
    const instance = instances.get(task);
    const outcome = outcomes.get(task);
    return {
      task,
      state: instance?.state ?? 'not-run',
      reused: reused.has(task) && instance?.state === 'success' && !outcome,
      tryNumbers: outcome?.tryNumbers ?? [],
      ...(instance?.output !== undefined ? { output: instance.output } : {}),
      ...(outcome && 'error' in outcome ? { error: outcome.error, logPath: outcome.logPath } : {}),
    };
  });
}
