/**
 * Runs one task of a run until it succeeds or has no tries left: each try is recorded in the state store before
 * it starts, logs its events to its own file as they happen, sends heartbeats, and is aborted at its timeout (a
 * try that ignores the signal is still marked failed at the deadline). Between tries it waits the retry policy's
 * delay; a stop request (SIGTERM) lets the running try finish for a grace period, then abandons it.
 *
 * The retry loop runs where the run is driven; each try runs where `settings.executor` puts it: here
 * (`localExecutor`, `runTry`) or on a queue worker, which calls `runTry` itself (queue/run-queued-try.ts).
 */
import type { Dag } from '../definitions/dag.ts';
import { describeNonJson, type JsonValue } from '../definitions/json-value.ts';
import { isRetryable } from '../definitions/non-retryable-error.ts';
import { calculateDelay } from '../definitions/retry-policy.ts';
import type { AnyTask, TaskInput } from '../definitions/task-definition.ts';
import type { TaskEvent, TaskEventSink } from '../definitions/task-event.ts';
import type { ProcessIdentity, RunRecord, StateStore, TryFailureKind } from '../state/state-store.ts';
import { TaskStoppedError, TaskTimeoutError } from './abort-reasons.ts';
import type { AlertSender } from './alerts.ts';
import { type Clock, systemClock } from './clock.ts';
import { errorSentence } from './error-sentence.ts';
import { EventLog, redactEvent, tryLogPath } from './event-log.ts';
import type { LivenessCheck } from './process-identity.ts';
import type { TaskExecutor, TryResult } from './task-executor.ts';

export interface TaskRunnerSettings {
  store: StateStore;
  dag: Dag;
  run: RunRecord;
  logsDir: string;
  identity: ProcessIdentity;
  clock: Clock;
  random: () => number;
  /** Every event of every try is also handed here (the CLI's renderer). */
  events: TaskEventSink;
  alerts: AlertSender;
  heartbeatIntervalMs: number;
  /** After a timeout, how long to wait for the try to stop before giving up on retrying it. */
  timeoutGraceMs: number;
  /** After a stop request, how long a running try may go on before it is abandoned. */
  stopGraceMs: number;
  stopSignal: AbortSignal;
  /** One try per task, whatever its retry policy: the caller (Airflow calling `fintech-etl task`) retries. */
  singleTry: boolean;
  /** Where each try runs (default: this process). */
  executor: TaskExecutor;
  /** The run's log (and `events`): where an executor reports what happens to a try it does not run itself. */
  runEvents: TaskEventSink;
  /** How to tell a recorded process is dead (the queue executor checks the worker running a try). */
  liveness(): LivenessCheck;
  /** A worker starting a try the queue executor queued: refused (StateConflictError) unless still queued. */
  queuedTry?: boolean;
}

export type TaskRunOutcome =
  | { state: 'success'; output: JsonValue; tryNumbers: number[] }
  | {
      state: 'failed' | 'stopped';
      error: string;
      failureKind: TryFailureKind;
      lastTry: number;
      logPath: string;
      tryNumbers: number[];
    }
  /** Stopped while waiting to retry: the last try failed normally and no new one started. */
  | { state: 'stopped-before-try'; tryNumbers: number[] };

/** Runs each try in this process. */
export const localExecutor: TaskExecutor = { kind: 'local', runTry };

export async function runTask(
  settings: TaskRunnerSettings,
  task: AnyTask,
  input: TaskInput,
  previousTry: number,
): Promise<TaskRunOutcome> {
  const tryNumbers: number[] = [];
  const attempts = settings.singleTry ? 1 : task.retry.retries + 1;
  for (let attempt = 1; ; attempt++) {
    const tryNumber = previousTry + attempt;
    const result = await settings.executor.runTry(settings, task, input, tryNumber);
    if ('notStarted' in result) return { state: 'stopped-before-try', tryNumbers };
    tryNumbers.push(tryNumber);
    if (result.ok) return { state: 'success', output: result.output, tryNumbers };

    const failure = {
      error: result.error,
      failureKind: result.failureKind,
      lastTry: tryNumber,
      logPath: result.logPath,
      tryNumbers,
    };
    // Abandoned because this run is stopping; a try abandoned by a stopping queue worker is retried like any other.
    if (result.failureKind === 'abandoned' && settings.stopSignal.aborted)
      return { state: 'stopped', ...failure };
    const retry = result.retryable && attempt < attempts && !settings.stopSignal.aborted;
    if (!retry) return { state: 'failed', ...failure };

    const delaySeconds = calculateDelay(task.retry, attempt, settings.random);
    // The failed try's log when it ran here; the run's log when it ran on a worker (its log is on that machine).
    const tryLog =
      settings.executor.kind === 'local' ? EventLog.open(result.logPath, settings.clock.now) : undefined;
    const note: TaskEventSink = tryLog
      ? {
          emit: (event) => {
            tryLog.emit(event);
            settings.events.emit(event);
          },
        }
      : settings.runEvents;
    note.emit({ kind: 'retry-scheduled', task: task.name, nextTry: tryNumber + 1, delaySeconds });
    await settings.alerts.send(
      {
        event: 'retry',
        dag: settings.dag.name,
        logicalDate: settings.run.logicalDate,
        runId: settings.run.runId,
        task: task.name,
        tryNumber,
        error: result.error,
        logPath: result.logPath,
        retryInSeconds: delaySeconds,
      },
      (message) => note.emit({ kind: 'warning', message }),
    );
    tryLog?.close();
    await settings.clock.sleep(delaySeconds * 1000, settings.stopSignal);
    if (settings.stopSignal.aborted) return { state: 'stopped-before-try', tryNumbers };
  }
}

/**
 * One try in this process, recorded from start to end. With `settings.queuedTry` it starts only if the try is
 * still queued (else StateConflictError, before any work).
 */
export async function runTry(
  settings: TaskRunnerSettings,
  task: AnyTask,
  input: TaskInput,
  tryNumber: number,
): Promise<Exclude<TryResult, { notStarted: true }>> {
  const { store, run, clock, identity } = settings;
  const logPath = tryLogPath(settings.logsDir, run.runId, task.name, tryNumber);
  // Recorded before any work, so a process killed from here on leaves a try the next one can see.
  const newTry = {
    runId: run.runId,
    task: task.name,
    tryNumber,
    startedAt: clock.now(),
    process: identity,
    logPath,
  };
  if (settings.queuedTry) await store.startQueuedTry(newTry);
  else await store.startTry(newTry);
  const log = EventLog.open(logPath, clock.now);
  const sink: TaskEventSink = {
    emit: <E extends TaskEvent>(event: E) => {
      const safe = redactEvent(event);
      log.emit(safe);
      settings.events.emit(safe);
    },
  };
  sink.emit({
    kind: 'task-started',
    task: task.name,
    tryNumber,
    runId: run.runId,
    dag: settings.dag.name,
    logicalDate: run.logicalDate,
    pid: identity.pid,
    host: identity.host,
  });

  const started = performance.now();
  const startedCpu = process.cpuUsage();
  const controller = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  let heartbeatFailed = false;
  const heartbeat = setInterval(() => {
    store.heartbeatTry(run.runId, task.name, tryNumber, clock.now()).catch((error: Error) => {
      if (heartbeatFailed) return;
      heartbeatFailed = true;
      sink.emit({ kind: 'warning', message: `could not record a heartbeat: ${errorSentence(error)}` });
    });
  }, settings.heartbeatIntervalMs);
  if (task.timeoutSeconds !== undefined) {
    timers.push(
      setTimeout(
        () => controller.abort(new TaskTimeoutError(task.name, task.timeoutSeconds!)),
        task.timeoutSeconds * 1000,
      ),
    );
  }
  const onStop = () => {
    timers.push(setTimeout(() => controller.abort(new TaskStoppedError(task.name)), settings.stopGraceMs));
  };
  if (settings.stopSignal.aborted) onStop();
  else settings.stopSignal.addEventListener('abort', onStop, { once: true });

  const work = Promise.resolve()
    .then(() =>
      task.run(input, { task: task.name, tryNumber, signal: controller.signal, events: sink, logPath }),
    )
    .then(
      (value) => ({ settled: 'ok' as const, value }),
      (error: unknown) => ({ settled: 'error' as const, error }),
    );
  const aborted = new Promise<{ settled: 'aborted'; reason: unknown }>((resolve) => {
    controller.signal.addEventListener(
      'abort',
      () => resolve({ settled: 'aborted', reason: controller.signal.reason }),
      {
        once: true,
      },
    );
  });

  let result: TryResult;
  let stack: string | undefined;
  const outcome = await Promise.race([work, aborted]);
  clearInterval(heartbeat);
  for (const timer of timers) clearTimeout(timer);
  settings.stopSignal.removeEventListener('abort', onStop);

  if (outcome.settled === 'ok') {
    const problem = describeNonJson(outcome.value === undefined ? null : outcome.value);
    result = problem
      ? {
          ok: false,
          error: `task ${task.name} returned an output that is not JSON: ${problem}`,
          failureKind: 'error',
          retryable: false,
          logPath,
        }
      : { ok: true, output: JSON.parse(JSON.stringify(outcome.value ?? null)) as JsonValue };
  } else if (outcome.settled === 'error') {
    stack = outcome.error instanceof Error ? outcome.error.stack : undefined;
    result = {
      ok: false,
      error: errorSentence(outcome.error),
      failureKind: 'error',
      retryable: isRetryable(outcome.error),
      logPath,
    };
  } else {
    const timedOut = outcome.reason instanceof TaskTimeoutError;
    // Both may be retried once the try has stopped (checked below); what retries an abandoned try is a run that
    // goes on elsewhere (a queue worker was stopped), never this stopping one.
    result = {
      ok: false,
      error: errorSentence(outcome.reason),
      failureKind: timedOut ? 'timeout' : 'abandoned',
      retryable: true,
      logPath,
    };
  }

  const finishedAt = clock.now();
  const recorded = await store.finishTry(
    run.runId,
    task.name,
    tryNumber,
    result.ok
      ? { state: 'success', output: result.output, finishedAt }
      : {
          state: 'failed',
          error: result.error,
          failureKind: result.failureKind,
          finishedAt,
          retryable: result.retryable,
        },
  );
  if (!recorded) {
    // Another process ended it first: it found this one dead (no heartbeat: a worker cut off from the network
    // that came back) and the run goes on with another try. What it recorded stands, and is this try's result.
    const ended = (await store.tries(run.runId, task.name)).find((each) => each.tryNumber === tryNumber);
    const error = ended?.error ?? `try ${tryNumber} of ${task.name} was ended by another process`;
    sink.emit({
      kind: 'warning',
      message:
        `try ${tryNumber} of ${task.name} ended here (${result.ok ? 'success' : 'failed'}), but the state store ` +
        `already records it ${ended?.state ?? 'ended'} (${error}): its end is not recorded`,
    });
    result = { ok: false, error, failureKind: ended?.failureKind ?? 'killed', retryable: false, logPath };
  }
  const used = process.cpuUsage(startedCpu);
  sink.emit({
    kind: 'task-finished',
    task: task.name,
    tryNumber,
    status: result.ok ? 'success' : 'failed',
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
    ...(result.ok ? {} : { error: result.error, failureKind: result.failureKind }),
    ...(stack ? { stack } : {}),
  });

  if (outcome.settled === 'aborted') {
    // The try is already recorded as failed; before another try touches the same data, this one must stop.
    // Real time, not the injected clock: this waits for real work to end.
    const graceOver = new AbortController();
    const stopped = await Promise.race([
      work.then(() => true),
      systemClock.sleep(settings.timeoutGraceMs, graceOver.signal).then(() => false),
    ]);
    graceOver.abort();
    if (!stopped && !result.ok && recorded) {
      const message =
        `the try did not stop within ${Number((settings.timeoutGraceMs / 1000).toFixed(1))} s of being aborted; ` +
        'it is not retried while it may still be writing';
      sink.emit({ kind: 'warning', message });
      result = { ...result, retryable: false };
      // Recorded too: the process deciding retries may be another one (the queue executor's).
      await store.finishTry(run.runId, task.name, tryNumber, {
        state: 'failed',
        error: result.error,
        failureKind: result.failureKind,
        finishedAt,
        retryable: false,
      });
    }
  }
  if (log.writeError) {
    settings.events.emit({
      kind: 'warning',
      message: `could not write ${logPath}: ${log.writeError.message}`,
    });
  }
  log.close();
  return result;
}
