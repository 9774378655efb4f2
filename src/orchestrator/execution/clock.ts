/**
 * Time as a dependency: the executor's retry waits and the scheduler's "now" go through a Clock, so tests run a
 * week of schedule or a minute of backoff in milliseconds.
 */
export interface Clock {
  now(): Date;
  /** Resolves after `ms`, or as soon as `signal` aborts (it never rejects: the caller checks the signal). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted || ms <= 0) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** The system clock with a fixed "now" (the scheduler's `--now` / FINTECH_ETL_NOW); sleeping stays real. */
export function clockAt(now: Date, base: Clock = systemClock): Clock {
  return { now: () => new Date(now), sleep: base.sleep };
}
