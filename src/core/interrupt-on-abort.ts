/**
 * Interrupts an engine's statements when an AbortSignal fires (a task's timeout or stop), and keeps
 * interrupting until the caller is done with the engine: DuckDB forgets an interrupt that arrives before its
 * statement starts running, so a single call can miss the statement it races.
 *
 * @example
 *   const interrupting = interruptOnAbort(signal, () => connection.interrupt());
 *   try { await connection.run(sql); } finally { interrupting.stop(); }
 */

/** How often an interrupt is repeated while the work it targets has not ended. */
const REPEAT_MS = 50;

export interface Interrupting {
  /** No more interrupts from here on. */
  stop(): void;
}

export function interruptOnAbort(
  signal: AbortSignal,
  interrupt: () => void,
  repeatMs = REPEAT_MS,
): Interrupting {
  let timer: NodeJS.Timeout | undefined;
  const start = () => {
    interrupt();
    timer = setInterval(interrupt, repeatMs);
  };
  if (signal.aborted) start();
  else signal.addEventListener('abort', start, { once: true });
  return {
    stop: () => {
      signal.removeEventListener('abort', start);
      clearInterval(timer);
    },
  };
}

/** The error work ends with: the signal's reason (naming the timeout or stop) once it aborted, else `error`. */
export function abortedOr(signal: AbortSignal | undefined, error: unknown): unknown {
  return signal?.aborted ? signal.reason : error;
}
