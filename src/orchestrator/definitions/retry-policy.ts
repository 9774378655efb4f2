/**
 * How a task is retried, as a declared value (Dagster's RetryPolicy, Airflow's retries / retry_delay /
 * retry_exponential_backoff / max_retry_delay). The delay before each retry is a pure function of the policy,
 * so it is unit-tested apart from any clock.
 */
export type Backoff = 'exponential' | 'linear' | 'none';

export interface RetryPolicy {
  /** Tries after the first one; 0 never retries. */
  retries: number;
  /** Seconds to wait before the first retry. */
  retryDelay: number;
  /** exponential: retryDelay × 2^(n−1); linear: retryDelay × n; none: retryDelay (n = the failed try). */
  backoff: Backoff;
  /** No delay exceeds this many seconds, jitter included. */
  maxRetryDelay: number;
  /**
   * 0–1: each delay is drawn uniformly from delay × [1 − jitter, 1 + jitter], so tasks that failed together
   * (a warehouse restart) do not all come back at the same second.
   */
  jitter: number;
}

/** A task that declares nothing is tried once. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 0,
  retryDelay: 30,
  backoff: 'exponential',
  maxRetryDelay: 600,
  jitter: 0,
};

/**
 * Seconds to wait after try `failedTry` (1 = the first try of this invocation) failed, before the next one.
 * `random` returns a number in [0, 1), as Math.random does; it only matters when the policy has jitter.
 *
 * @example
 *   calculateDelay({ retries: 3, retryDelay: 10, backoff: 'exponential', maxRetryDelay: 60, jitter: 0 }, 3)
 *   // 40: 10 × 2²
 */
export function calculateDelay(
  policy: RetryPolicy,
  failedTry: number,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(failedTry) || failedTry < 1) {
    throw new RangeError(`failedTry must be a positive integer, got ${failedTry}`);
  }
  const base = baseDelay(policy, failedTry);
  const jittered = policy.jitter > 0 ? base * (1 - policy.jitter + 2 * policy.jitter * random()) : base;
  return Math.max(0, Math.min(jittered, policy.maxRetryDelay));
}

function baseDelay(policy: RetryPolicy, failedTry: number): number {
  switch (policy.backoff) {
    case 'exponential':
      // 2^1023 is the largest finite power; beyond it the cap applies anyway.
      return policy.retryDelay * 2 ** Math.min(failedTry - 1, 1023);
    case 'linear':
      return policy.retryDelay * failedTry;
    case 'none':
      return policy.retryDelay;
  }
}

/** Why a policy cannot be used, naming the field; undefined when it is valid. */
export function retryPolicyProblem(policy: RetryPolicy): string | undefined {
  if (!Number.isInteger(policy.retries) || policy.retries < 0) return `retries must be a whole number ≥ 0`;
  if (!(policy.retryDelay >= 0)) return `retry_delay must be ≥ 0 seconds`;
  if (!(policy.maxRetryDelay >= 0)) return `max_retry_delay must be ≥ 0 seconds`;
  if (!(policy.jitter >= 0 && policy.jitter <= 1)) return `jitter must be between 0 and 1`;
  if (!['exponential', 'linear', 'none'].includes(policy.backoff)) {
    return `backoff must be exponential, linear or none`;
  }
  return undefined;
}
