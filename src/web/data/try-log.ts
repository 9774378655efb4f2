/**
 * A try's JSON-lines log (src/orchestrator/execution/event-log.ts) as the page shows it: one line per event,
 * its time, kind and a readable text, the newest `limit` of them. The executor redacted every string when it
 * wrote them; they are redacted again here, so a log written by older code cannot put a secret on a page.
 */
import { redact } from '../../core/redact.ts';
import { type LoggedEvent, readEventLog } from '../../orchestrator/execution/event-log.ts';

export interface LogLine {
  ts: string;
  kind: string;
  text: string;
  /** More to read on demand: a stack trace, a statement's full text. */
  detail?: string;
}

export interface TryLog {
  lines: LogLine[];
  /** Events before the first line shown. */
  omitted: number;
  /** A last line cut short (its process died inside a write). */
  partial_line?: string;
}

const MAX_TEXT = 600;
const MAX_DETAIL = 8_000;

export async function readTryLog(path: string, limit: number): Promise<TryLog> {
  const log = await readEventLog(path);
  const kept = log.events.slice(-limit);
  return {
    lines: kept.map(logLine),
    omitted: log.events.length - kept.length,
    ...(log.partialLine !== undefined ? { partial_line: clip(redact(log.partialLine), MAX_TEXT) } : {}),
  };
}

export function logLine(event: LoggedEvent): LogLine {
  const { ts, kind, ...fields } = event;
  const line = (text: string, detail?: unknown): LogLine => ({
    ts: String(ts),
    kind: String(kind),
    text: clip(redact(text), MAX_TEXT),
    ...(typeof detail === 'string' && detail !== '' ? { detail: clip(redact(detail), MAX_DETAIL) } : {}),
  });
  const f = fields as Record<string, unknown>;
  switch (kind) {
    case 'task-started':
      return line(`${f['task']} try ${f['tryNumber'] ?? ''} started`.trim());
    case 'task-finished': {
      const took = typeof f['seconds'] === 'number' ? ` in ${(f['seconds'] as number).toFixed(2)} s` : '';
      if (f['status'] === 'failed') {
        const why = f['failureKind'] ? ` (${f['failureKind']})` : '';
        return line(`${f['task']} failed${why}${took}: ${f['error'] ?? ''}`, f['stack']);
      }
      return line(`${f['task']} ${f['status'] ?? 'finished'}${took}`);
    }
    case 'retry-scheduled':
      return line(`try ${f['nextTry']} in ${f['delaySeconds']} s`);
    case 'notice':
    case 'warning':
      return line(String(f['message'] ?? ''));
    case 'statement-timed': {
      const sql = String(f['sql'] ?? '');
      const took = typeof f['seconds'] === 'number' ? `${(f['seconds'] as number).toFixed(3)} s` : '';
      return line(`${f['ok'] === false ? 'FAILED ' : ''}${took} ${firstLine(sql)}`, sql);
    }
    case 'step-timed':
      return line(
        `${f['scope']}/${f['step']} ${Number(f['seconds'] ?? 0).toFixed(2)} s` +
          (f['detail'] ? ` (${f['detail']})` : ''),
      );
    case 'check-failed':
      return line(`${f['check']} ${f['name']} ${f['status']}: ${f['details'] ?? ''}`, f['sql']);
    default:
      return line(JSON.stringify(fields));
  }
}

function firstLine(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim().slice(0, 160);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
