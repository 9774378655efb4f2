/**
 * What `fintech-etl logs RUN` prints for a run, and what the web app's Pipeline page shows: the task that
 * failed, its error in one sentence, the last lines of its log, and for a failing model test or quality check
 * its SQL and sample rows. Built from the state store (the run, its task instances and tries) and the try's
 * JSON-lines log, where a task writes a `check-failed` event for each failing test or expectation the moment
 * it finds one; so the report is complete after a crash too, and never depends on the warehouse being up.
 *
 * @example
 *   const report = await buildFailureReport(store, 'run-2025-03-01-…', { order: dag.order });
 *   if (report?.failure) console.log(report.failure.task, report.failure.error);
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { CheckFailedEvent } from '../core/pipeline-event.ts';
import type { JsonValue } from './definitions/json-value.ts';
import { type LoggedEvent, readEventLog } from './execution/event-log.ts';
import type {
  RunRecord,
  StateStore,
  TaskInstanceRecord,
  TryFailureKind,
  TryRecord,
} from './state/state-store.ts';

const CHECK_FAILED: CheckFailedEvent['kind'] = 'check-failed';

export interface FailedCheck {
  check: CheckFailedEvent['check'];
  name: string;
  target?: string;
  severity: string;
  status: string;
  failures: number | null;
  details?: string;
  sql?: string;
  sample: Record<string, JsonValue>[];
}

export interface TaskFailure {
  task: string;
  tryNumber: number;
  /** Tries the task made in this run. */
  tries: number;
  failureKind: TryFailureKind | undefined;
  /** One sentence, redacted (as recorded). */
  error: string;
  startedAt: Date;
  finishedAt?: Date;
  logPath: string;
  /** Whether the log file is there (a home copied without its logs folder has none). */
  logFound: boolean;
  /** The last lines of the try's log, as written (JSON lines); a torn last line is included as it is. */
  lastLogLines: string[];
  /** Failing tests and expectations the try logged, in the order it found them. */
  checks: FailedCheck[];
  /** The command that prints the whole log. */
  logCommand: string;
}

export interface FailureReport {
  run: Pick<
    RunRecord,
    | 'runId'
    | 'dag'
    | 'logicalDate'
    | 'state'
    | 'failureKind'
    | 'error'
    | 'trigger'
    | 'startedAt'
    | 'finishedAt'
    | 'process'
  >;
  /** Every task of the run with its state and tries, in DAG order when it is given. */
  tasks: { task: string; state: TaskInstanceRecord['state']; tries: number }[];
  /** The first task that failed (in DAG order), or the killed try of a killed run; undefined when none did. */
  failure?: TaskFailure;
  /** Tasks that did not run because a task they depend on failed. */
  upstreamFailed: string[];
}

export interface FailureReportOptions {
  /** The DAG's task order, so "first failed" means first in the DAG; default: the order tries started. */
  order?: readonly string[];
  /** How many log lines to keep; default 20. */
  lines?: number;
  /** How the CLI is spelled in the log command; default `fintech-etl`. */
  cli?: string;
}

/** The failure report of a run; undefined when the store has no such run. */
export async function buildFailureReport(
  store: StateStore,
  runId: string,
  options: FailureReportOptions = {},
): Promise<FailureReport | undefined> {
  const run = await store.getRun(runId);
  if (!run) return undefined;
  const [instances, tries] = await Promise.all([store.taskInstances(runId), store.tries(runId)]);
  const order = taskOrder(options.order, instances, tries);
  const byTask = new Map(instances.map((instance) => [instance.task, instance]));
  const triesOf = (task: string) => tries.filter((attempt) => attempt.task === task);
  const tasks = order
    .filter((task) => byTask.has(task))
    .map((task) => ({ task, state: byTask.get(task)!.state, tries: triesOf(task).length }));

  const failedTask = order.find((task) => byTask.get(task)?.state === 'failed');
  const report: FailureReport = {
    run: {
      runId: run.runId,
      dag: run.dag,
      logicalDate: run.logicalDate,
      state: run.state,
      failureKind: run.failureKind,
      error: run.error,
      trigger: run.trigger,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      process: run.process,
    },
    tasks,
    upstreamFailed: tasks.filter((task) => task.state === 'upstream_failed').map((task) => task.task),
  };
  // A failed task, else (a killed or stopped run resumed nowhere yet) its last failed try.
  const lastTry =
    failedTask !== undefined
      ? triesOf(failedTask).at(-1)
      : run.state === 'failed'
        ? tries.filter((attempt) => attempt.state === 'failed').at(-1)
        : undefined;
  if (lastTry) report.failure = await describeFailure(lastTry, triesOf(lastTry.task).length, options);
  return report;
}

function taskOrder(
  order: readonly string[] | undefined,
  instances: readonly TaskInstanceRecord[],
  tries: readonly TryRecord[],
): string[] {
  const byStart = [...tries]
    .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime())
    .map((attempt) => attempt.task);
  return [...new Set([...(order ?? []), ...byStart, ...instances.map((instance) => instance.task)])];
}

async function describeFailure(
  attempt: TryRecord,
  tries: number,
  options: FailureReportOptions,
): Promise<TaskFailure> {
  const logFound = existsSync(attempt.logPath);
  const lastLogLines = logFound ? await lastLines(attempt.logPath, options.lines ?? 20) : [];
  const events = logFound ? (await readEventLog(attempt.logPath)).events : [];
  return {
    task: attempt.task,
    tryNumber: attempt.tryNumber,
    tries,
    failureKind: attempt.failureKind,
    error: attempt.error ?? 'no error was recorded',
    startedAt: attempt.startedAt,
    ...(attempt.finishedAt ? { finishedAt: attempt.finishedAt } : {}),
    logPath: attempt.logPath,
    logFound,
    lastLogLines,
    checks: events.filter(isCheckFailed).map(toFailedCheck),
    logCommand: `${options.cli ?? 'fintech-etl'} logs ${attempt.runId} ${attempt.task} --try ${attempt.tryNumber}`,
  };
}

function isCheckFailed(event: LoggedEvent): boolean {
  return event.kind === CHECK_FAILED;
}

function toFailedCheck(event: LoggedEvent): FailedCheck {
  const field = <T>(name: string, fallback: T): T => (event[name] as T | undefined) ?? fallback;
  const sql = event['sql'];
  const details = event['details'];
  const target = event['target'];
  return {
    check: field<CheckFailedEvent['check']>('check', 'test'),
    name: field('name', '?'),
    ...(typeof target === 'string' ? { target } : {}),
    severity: field('severity', 'error'),
    status: field('status', 'fail'),
    failures: field<number | null>('failures', null),
    ...(typeof details === 'string' ? { details } : {}),
    ...(typeof sql === 'string' ? { sql } : {}),
    sample: field<Record<string, JsonValue>[]>('sample', []),
  };
}

async function lastLines(path: string, count: number): Promise<string[]> {
  const lines = (await readFile(path, 'utf8')).split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-count);
}
