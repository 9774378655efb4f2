/**
 * The failure report (src/orchestrator/failure-report.ts) as text: `fintech-etl logs RUN`, and what `run` prints
 * when a run fails. The failed task and its error sentence first, then each failing test or expectation with its
 * SQL and sample rows, then the last lines of the try's log (as `time kind message`), then the command that
 * prints the whole log.
 */
import type { LoggedEvent } from '../../orchestrator/execution/event-log.ts';
import type { FailedCheck, FailureReport } from '../../orchestrator/failure-report.ts';

const SAMPLE_ROWS = 5;

export function failureReportLines(report: FailureReport): string[] {
  const { run } = report;
  const lines = [
    `run ${run.runId}  ${run.dag}  logical date ${run.logicalDate}  ${run.state}` +
      (run.failureKind ? ` (${run.failureKind})` : '') +
      `  started ${run.startedAt.toISOString()} by ${run.trigger}`,
  ];
  const tasks = report.tasks.map(
    (task) => `${task.task} ${task.state}${task.tries > 1 ? ` (${task.tries} tries)` : ''}`,
  );
  if (tasks.length) lines.push(`tasks: ${tasks.join(', ')}`);
  const failure = report.failure;
  if (!failure) {
    lines.push(
      run.state === 'success'
        ? 'no task failed'
        : run.state === 'failed'
          ? `failed: ${run.error ?? 'no error recorded'}`
          : `no task has failed (the run is ${run.state})`,
    );
    return lines;
  }
  lines.push(
    '',
    `failed task: ${failure.task}, try ${failure.tryNumber}${failure.tries > 1 ? ` of ${failure.tries}` : ''}` +
      (failure.failureKind && failure.failureKind !== 'error' ? ` (${failure.failureKind})` : ''),
    `error: ${failure.error ?? run.error ?? 'no error was recorded'}`,
  );
  if (report.upstreamFailed.length) lines.push(`not run because of it: ${report.upstreamFailed.join(', ')}`);
  for (const check of failure.checks) lines.push('', ...checkLines(check));
  lines.push('');
  if (!failure.logFound) {
    lines.push(`log: ${failure.logPath} is missing`);
  } else {
    lines.push(`last lines of ${failure.logPath}:`);
    for (const line of failure.lastLogLines) lines.push(`  ${logLine(line)}`);
  }
  lines.push(`whole log: ${failure.logCommand}`);
  return lines;
}

function checkLines(check: FailedCheck): string[] {
  const count =
    check.failures === null ? '' : ` — ${check.failures} offending row${check.failures === 1 ? '' : 's'}`;
  const lines = [
    `${check.check === 'test' ? 'failing test' : 'failed expectation'} ${check.name}${check.target ? ` on ${check.target}` : ''} ` +
      `[${check.severity}, ${check.status}]${count}`,
  ];
  if (check.details) lines.push(`  ${check.details}`);
  if (check.sql) {
    lines.push('  sql:');
    for (const line of check.sql.trim().split('\n')) lines.push(`    ${line}`);
  }
  if (check.sample.length) {
    lines.push(`  sample (${Math.min(check.sample.length, SAMPLE_ROWS)} of ${check.sample.length}):`);
    for (const row of check.sample.slice(0, SAMPLE_ROWS)) lines.push(`    ${JSON.stringify(row)}`);
  }
  return lines;
}

/** One log line as `time kind the event's message or fields`; a line that is not JSON as it is. */
export function logLine(line: string): string {
  let event: LoggedEvent;
  try {
    event = JSON.parse(line) as LoggedEvent;
  } catch {
    return `${line} (cut short)`;
  }
  const { ts, kind, ...fields } = event;
  const time = typeof ts === 'string' ? ts.slice(11, 23) : '';
  const message = typeof fields['message'] === 'string' ? fields['message'] : undefined;
  const error = fields['error'] as { message?: string } | string | undefined;
  const rest =
    message ??
    (kind === 'statement-timed'
      ? `${Number(fields['seconds']).toFixed(3)} s ${String(fields['sql']).slice(0, 160)}`
      : kind === 'task-finished'
        ? `${fields['status']} in ${Number(fields['seconds']).toFixed(2)} s` +
          (error ? `: ${typeof error === 'string' ? error : error.message}` : '')
        : compact(fields));
  return `${time} ${kind} ${rest}`.trimEnd();
}

function compact(fields: Record<string, unknown>): string {
  const { stack: _stack, sample: _sample, sql: _sql, ...rest } = fields;
  const text = JSON.stringify(rest);
  return text === '{}' ? '' : text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
