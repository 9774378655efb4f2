import { describe, expect, it } from 'vitest';
import { calculateDelay, type RetryPolicy } from './retry-policy.ts';

const policy = (overrides: Partial<RetryPolicy>): RetryPolicy => ({
  retries: 5,
  retryDelay: 10,
  backoff: 'exponential',
  maxRetryDelay: 1000,
  jitter: 0,
  ...overrides,
});

describe('calculateDelay', () => {
  it('doubles the delay after each failed try with exponential backoff', () => {
    expect([1, 2, 3, 4].map((n) => calculateDelay(policy({}), n))).toEqual([10, 20, 40, 80]);
  });

  it('grows by the base delay with linear backoff and stays flat with none', () => {
    expect([1, 2, 3].map((n) => calculateDelay(policy({ backoff: 'linear' }), n))).toEqual([10, 20, 30]);
    expect([1, 2, 3].map((n) => calculateDelay(policy({ backoff: 'none' }), n))).toEqual([10, 10, 10]);
  });

  it('never exceeds max_retry_delay, even for a huge try number', () => {
    expect(calculateDelay(policy({ maxRetryDelay: 35 }), 3)).toBe(35);
    expect(calculateDelay(policy({ maxRetryDelay: 35 }), 5000)).toBe(35);
  });

  it('spreads the delay by ± jitter with the given random source, capped afterwards', () => {
    const jittered = policy({ jitter: 0.5 });
    expect(calculateDelay(jittered, 2, () => 0)).toBe(10);
    expect(calculateDelay(jittered, 2, () => 0.5)).toBe(20);
    expect(calculateDelay(jittered, 2, () => 0.999)).toBeCloseTo(29.98, 5);
    expect(calculateDelay({ ...jittered, maxRetryDelay: 25 }, 2, () => 0.999)).toBe(25);
  });

  it('refuses a try number below 1', () => {
    expect(() => calculateDelay(policy({}), 0)).toThrow(/positive integer/);
  });
});
