/**
 * Time as a dependency: the executor's retry waits and the scheduler's "now" go through a Clock, so tests run a
 * week of schedule or a minute of backoff in milliseconds.
 */
import { UsageError } from '../../core/errors.ts';

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

/**
 * The clock a command uses: FINTECH_ETL_NOW (an ISO-8601 instant, e.g. `2025-03-05T07:00:00+09:00`) fixes
 * "now" for testing schedules and catch-up; otherwise the system clock.
 */
export function clockFromEnvironment(env: NodeJS.ProcessEnv = process.env): Clock {
  const fixed = env['FINTECH_ETL_NOW'];
  if (!fixed) return systemClock;
  const now = new Date(fixed);
  if (Number.isNaN(now.getTime())) {
    throw new UsageError(
      `FINTECH_ETL_NOW '${fixed}' is not an ISO-8601 time such as 2025-03-05T07:00:00+09:00`,
    );
  }
  return clockAt(now);
}
