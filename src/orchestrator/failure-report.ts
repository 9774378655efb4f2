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
import { redact } from '../core/redact.ts';
import type { JsonValue } from './definitions/json-value.ts';
import { type LoggedEvent, parseEventLog } from './execution/event-log.ts';
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
  /** One sentence, redacted; undefined when the try recorded none. */
  error?: string;
  startedAt: Date;
  finishedAt?: Date;
  /** The machine and process that ran the try (a worker elsewhere logged on its own disk). */
  host: string;
  pid: number;
  logPath: string;
  /**
   * Whether the log could be read: the file is there (a home copied without its logs folder has none) and, with
   * `logFile`, where the reader allows.
   */
  logFound: boolean;
  /** The last lines of the try's log, as written (JSON lines); a torn last line is included as it is. */
  lastLogLines: string[];
  /** Failing tests and expectations the try logged: failures in the order it found them, then warnings. */
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
  /**
   * The file a try's log is read from, or undefined when it may not be read; default its recorded path when
   * that file is there. The web app reads only under `<home>/logs`.
   */
  logFile?: (attempt: TryRecord) => string | undefined;
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
      ...(run.error !== undefined ? { error: redact(run.error) } : {}),
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
  const file = options.logFile
    ? options.logFile(attempt)
    : existsSync(attempt.logPath)
      ? attempt.logPath
      : undefined;
  const text = file !== undefined ? await readFile(file, 'utf8') : '';
  const { events } = parseEventLog(text, attempt.logPath);
  return {
    task: attempt.task,
    tryNumber: attempt.tryNumber,
    tries,
    failureKind: attempt.failureKind,
    ...(attempt.error !== undefined ? { error: redact(attempt.error) } : {}),
    startedAt: attempt.startedAt,
    ...(attempt.finishedAt ? { finishedAt: attempt.finishedAt } : {}),
    host: attempt.process.host,
    pid: attempt.process.pid,
    logPath: attempt.logPath,
    logFound: file !== undefined,
    lastLogLines: lastLines(text, options.lines ?? 20),
    // Failures that stopped the task first, then warnings.
    checks: events
      .filter(isCheckFailed)
      .map(toFailedCheck)
      .sort((a, b) => Number(a.status === 'warn') - Number(b.status === 'warn')),
    logCommand: `${options.cli ?? 'fintech-etl'} logs ${attempt.runId} ${attempt.task} --try ${attempt.tryNumber}`,
  };
}

function isCheckFailed(event: LoggedEvent): boolean {
  return event.kind === CHECK_FAILED;
}

/**
 * A logged event as a check. Every string is redacted again: the executor redacted the log when it wrote it, and
 * this guards a log written by older code.
 */
function toFailedCheck(event: LoggedEvent): FailedCheck {
  const text = (name: string, fallback: string) =>
    typeof event[name] === 'string' ? redact(event[name] as string) : fallback;
  const optional = (name: string) => (typeof event[name] === 'string' ? { [name]: text(name, '') } : {});
  return {
    check: event['check'] === 'quality' ? 'quality' : 'test',
    name: text('name', '?'),
    ...optional('target'),
    severity: text('severity', 'error'),
    status: text('status', 'fail'),
    failures: typeof event['failures'] === 'number' ? event['failures'] : null,
    ...optional('details'),
    ...optional('sql'),
    sample: Array.isArray(event['sample']) ? (event['sample'] as unknown[]).map(redactRow) : [],
  };
}

function redactRow(row: unknown): Record<string, JsonValue> {
  const value = (item: unknown) => (typeof item === 'string' ? redact(item) : item) as JsonValue;
  if (row === null || typeof row !== 'object') return { value: value(row) };
  return Object.fromEntries(Object.entries(row).map(([key, item]) => [key, value(item)]));
}

function lastLines(text: string, count: number): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-count);
}
