/**
 * Why a run failed, as the Pipeline page's JSON shows it: the control plane's failure report
 * (src/orchestrator/failure-report.ts: the failed task and its try, the error sentence, the try log's last lines,
 * the model tests or quality expectations that failed in it with their SQL and sample rows) in the API's
 * snake_case shape, with its log read only under `<home>/logs`. What an operator reads before deciding to rerun.
 */
import { parseEventLog } from '../../orchestrator/execution/event-log.ts';
import { buildFailureReport, type FailedCheck } from '../../orchestrator/failure-report.ts';
import type { RunRecord, StateStore } from '../../orchestrator/state/state-store.ts';
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
  sample: FailedCheck['sample'];
}

export interface FailureReport {
  run_id: string;
  logical_date: string;
  failure_kind: string | null;
  /** The run's error sentence. */
  error: string | null;
  /** The failed task (absent when the run stopped before any task failed). */
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
const MAX_SAMPLE = 20;

/** The report of a failed run; undefined when the run did not fail. */
export async function failureReport(
  state: RunStateReader,
  store: StateStore,
  run: RunRecord,
): Promise<FailureReport | undefined> {
  if (run.state !== 'failed') return undefined;
  const report = await buildFailureReport(store, run.runId, {
    ...(state.dag?.name === run.dag ? { order: state.dag.order } : {}),
    lines: LAST_LINES,
    logFile: (attempt) => state.logFileOf(attempt),
  });
  if (!report) return undefined;
  const { failure } = report;
  return {
    run_id: report.run.runId,
    logical_date: report.run.logicalDate,
    failure_kind: report.run.failureKind ?? null,
    error: report.run.error ?? null,
    ...(failure
      ? {
          task: {
            name: failure.task,
            try_number: failure.tryNumber,
            tries: failure.tries,
            failure_kind: failure.failureKind ?? null,
            error: failure.error ?? null,
            host: failure.host,
            pid: failure.pid,
            log_available: failure.logFound,
          },
        }
      : {}),
    upstream_failed: report.upstreamFailed,
    // A torn last line (its process died inside a write) is not an event: the try's log view shows it.
    last_lines: (failure?.lastLogLines ?? [])
      .flatMap((line) => parseEventLog(line, failure!.logPath).events)
      .map(logLine),
    checks: (failure?.checks ?? []).slice(0, MAX_CHECKS).map((check) => ({
      check: check.check,
      name: check.name,
      severity: check.severity,
      status: check.status,
      failures: check.failures,
      details: check.details ?? '',
      sql: check.sql ?? null,
      sample: check.sample.slice(0, MAX_SAMPLE),
    })),
  };
}
