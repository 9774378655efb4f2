/**
 * The event logs of the control plane, as JSON lines: `<logs>/<run>/<task>/try-<n>.log` for each try and
 * `<logs>/<run>/run.log` for the run itself. Each event is one `write()` system call on a file opened for
 * appending, made the moment the event happens, so a process killed with SIGKILL loses nothing it logged
 * (the kernel has it). Every string is redacted before it is written.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { redact } from '../../core/redact.ts';
import type { TaskEvent, TaskEventSink } from '../definitions/task-event.ts';

/** A logged event: the event's own fields plus `ts`, the ISO time it was written. */
export type LoggedEvent = { ts: string; kind: string } & Record<string, unknown>;

export function runLogPath(logsDir: string, runId: string): string {
  return join(logsDir, runId, 'run.log');
}

export function tryLogPath(logsDir: string, runId: string, task: string, tryNumber: number): string {
  return join(logsDir, runId, task, `try-${tryNumber}.log`);
}

export class EventLog implements TaskEventSink {
  /** The first error writing failed with (a full disk); later events are still attempted. */
  writeError: Error | undefined;
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    private readonly now: () => Date,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
  }

  static open(path: string, now: () => Date = () => new Date()): EventLog {
    return new EventLog(path, now);
  }

  emit<E extends TaskEvent>(event: E): void {
    if (this.fd === undefined) return;
    const line = `${JSON.stringify({ ts: this.now().toISOString(), ...(loggable(event) as object) })}\n`;
    try {
      writeSync(this.fd, line);
    } catch (error) {
      this.writeError ??= error as Error;
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** A copy of an event safe to show anywhere: every string redacted, errors as `{ name, message, stack }`. */
export function redactEvent<E extends TaskEvent>(event: E): E {
  return loggable(event) as E;
}

/** Redacted copy of a value, with errors as `{ name, message, stack }` and bigints as strings. */
function loggable(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (depth > 20) return '[too deep]';
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redact(value.message),
      ...(value.stack ? { stack: redact(value.stack) } : {}),
    };
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => loggable(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, loggable(item, depth + 1)]));
}

export interface ReadEventLog {
  events: LoggedEvent[];
  /** A last line cut short (the process died inside a write): shown, never parsed. */
  partialLine?: string;
}

/** Reads a log back; a torn last line is reported instead of failing the read. */
export async function readEventLog(path: string): Promise<ReadEventLog> {
  return parseEventLog(await readFile(path, 'utf8'), path);
}

/** The events of a log's text (`path` names it in an error). */
export function parseEventLog(text: string, path: string): ReadEventLog {
  const lines = text.split('\n');
  const events: LoggedEvent[] = [];
  let partialLine: string | undefined;
  for (const [index, line] of lines.entries()) {
    if (line === '') continue;
    try {
      events.push(JSON.parse(line) as LoggedEvent);
    } catch (error) {
      if (index === lines.length - 1) partialLine = line;
      else throw new Error(`log ${path} line ${index + 1} is not JSON: ${(error as Error).message}`);
    }
  }
  return partialLine === undefined ? { events } : { events, partialLine };
}
