/**
 * Cancels what a pooled session's backend runs once the calling work's signal aborts: `pg_cancel_backend(pid)`
 * from a connection of its own (the session's is busy with the statement), again every {@link REPEAT_MS} until
 * the work lets the session go. PostgreSQL ignores a cancel that reaches a backend between two statements, or
 * before the statement it races has started, and a COPY or the next statement may start after it.
 */
import { type ConnectionInfo, singleClient } from './connection-pool.ts';

const REPEAT_MS = 250;

export interface Cancelling {
  /** No more cancels; the session is let go (and, once cancelled, not reused: a late cancel could hit it). */
  stop(): void;
}

export function cancelOnAbort(
  signal: AbortSignal,
  backendPid: number,
  connection: ConnectionInfo,
  password: string | undefined,
): Cancelling {
  let stopped = false;
  let wake: (() => void) | undefined;
  const cancel = async () => {
    const client = singleClient(connection, password, 'fintech-etl cancel');
    client.on('error', () => undefined);
    try {
      await client.connect();
      while (!stopped) {
        await client.query('select pg_cancel_backend($1)', [backendPid]);
        if (stopped) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, REPEAT_MS);
        });
      }
    } catch {
      // Best effort: the try is recorded failed either way; a statement not cancelled runs to its end, and the
      // try is then not retried unless it ends within its grace period.
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const start = () => {
    void cancel();
  };
  if (signal.aborted) start();
  else signal.addEventListener('abort', start, { once: true });
  return {
    stop: () => {
      stopped = true;
      signal.removeEventListener('abort', start);
      wake?.();
    },
  };
}
