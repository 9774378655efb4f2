/**
 * Why a run failed, from the state store and the try logs alone (any process may have written them): the
 * failed task and its try, the error sentence, the try log's last lines, and the model tests or quality
 * expectations that failed in it (their `check-failed` events: the SQL that selects the offending rows and a
 * sample of them). What an operator reads before deciding to rerun.
 */
import { redact } from '../../core/redact.ts';
import { type LoggedEvent, readEventLog } from '../../orchestrator/execution/event-log.ts';
import type {
  RunRecord,
  StateStore,
  TaskInstanceRecord,
  TryRecord,
} from '../../orchestrator/state/state-store.ts';
import type { RunStateReader } from './run-state-reader.ts';
import { type LogLine, logLine } from './try-log.ts';

export interface CheckFailure {
  check: 'test' | 'quality';
  name: string;
  severity: string;
  status: string;
  failures: number | null;
  details: string;
  sql: string | null;
  sample: Record<string, unknown>[];
}

export interface FailureReport {
  run_id: string;
  logical_date: string;
  failure_kind: string | null;
  /** The run's error sentence. */
  error: string | null;
  /** The first task that failed (absent when the run stopped before any task failed). */
  task?: {
    name: string;
    try_number: number;
    tries: number;
    failure_kind: string | null;
    error: string | null;
    host: string;
    pid: number;
    /** Whether the try's log is readable on this machine (a worker elsewhere logged on its own disk). */
    log_available: boolean;
  };
  /** Tasks that did not run because a dependency failed. */
  upstream_failed: string[];
  last_lines: LogLine[];
  checks: CheckFailure[];
}

const LAST_LINES = 15;
const MAX_CHECKS = 20;

/** The report of a failed run; undefined when the run did not fail. */
export async function failureReport(
  state: RunStateReader,
  store: StateStore,
  run: RunRecord,
): Promise<FailureReport | undefined> {
  if (run.state !== 'failed') return undefined;
  const [instances, tries] = await Promise.all([store.taskInstances(run.runId), store.tries(run.runId)]);
  const failed = firstFailedTry(instances, tries);
  const report: FailureReport = {
    run_id: run.runId,
    logical_date: run.logicalDate,
    failure_kind: run.failureKind ?? null,
    error: run.error ? redact(run.error) : null,
    upstream_failed: instances
      .filter((instance) => instance.state === 'upstream_failed')
      .map((instance) => instance.task),
    last_lines: [],
    checks: [],
  };
  if (!failed) return report;
  const file = state.logFileOf(failed);
  report.task = {
    name: failed.task,
    try_number: failed.tryNumber,
    tries: tries.filter((attempt) => attempt.task === failed.task).length,
    failure_kind: failed.failureKind ?? null,
    error: failed.error ? redact(failed.error) : null,
    host: failed.process.host,
    pid: failed.process.pid,
    log_available: file !== undefined,
  };
  if (file) {
    const { events } = await readEventLog(file);
    report.last_lines = events.slice(-LAST_LINES).map(logLine);
    // Failures that stopped the task first, then warnings.
    report.checks = events
      .filter((event) => event.kind === 'check-failed')
      .map(checkFailure)
      .sort((a, b) => Number(a.status === 'warn') - Number(b.status === 'warn'))
      .slice(0, MAX_CHECKS);
  }
  return report;
}

/**
 * The failed task whose latest try ended first: the failure the others followed from (a task failing after it
 * ran in parallel is listed by its own cell).
 */
function firstFailedTry(
  instances: readonly TaskInstanceRecord[],
  tries: readonly TryRecord[],
): TryRecord | undefined {
  const latest = new Map<string, TryRecord>();
  for (const attempt of tries) {
    const seen = latest.get(attempt.task);
    if (!seen || attempt.tryNumber > seen.tryNumber) latest.set(attempt.task, attempt);
  }
  const failed = instances
    .filter((instance) => instance.state === 'failed')
    .map((instance) => latest.get(instance.task))
    .filter((attempt): attempt is TryRecord => attempt !== undefined);
  const ended = (attempt: TryRecord) => (attempt.finishedAt ?? attempt.heartbeatAt).getTime();
  return failed.sort((a, b) => ended(a) - ended(b))[0];
}

function checkFailure(event: LoggedEvent): CheckFailure {
  const text = (value: unknown) => (typeof value === 'string' ? redact(value) : '');
  return {
    check: event['check'] === 'quality' ? 'quality' : 'test',
    name: text(event['name']),
    severity: text(event['severity']),
    status: text(event['status']),
    failures: typeof event['failures'] === 'number' ? event['failures'] : null,
    details: text(event['details']),
    sql: typeof event['sql'] === 'string' ? redact(event['sql']) : null,
    sample: Array.isArray(event['sample'])
      ? (event['sample'] as unknown[]).slice(0, 20).map((row) => redactRow(row))
      : [],
  };
}

/** A sample row with every string redacted (the log was redacted when written; this guards older logs). */
function redactRow(row: unknown): Record<string, unknown> {
  if (row === null || typeof row !== 'object') return { value: typeof row === 'string' ? redact(row) : row };
  return Object.fromEntries(
    Object.entries(row as Record<string, unknown>).map(([key, value]) => [
      key,
      typeof value === 'string' ? redact(value) : value,
    ]),
  );
}
