/**
 * How BullMQ reaches Redis (config `executor.redis`, its password from `executor.redis_password`), and the key
 * prefix every queue of fintech-etl lives under.
 */
import type { ConnectionOptions } from 'bullmq';

export interface RedisTarget {
  /** `redis://host:6379` or `rediss://…` (TLS). */
  url: string;
  /** Used when the URL holds none. */
  password?: string;
}

/** Every key of fintech-etl's queues starts with `fintech-etl:` (BullMQ's default is `bull:`). */
export const QUEUE_KEY_PREFIX = 'fintech-etl';

/**
 * `waits`: a worker's or an event listener's connection waits out a Redis restart (BullMQ requires it); a
 * producer's fails fast, so the orchestrator's loop can retry on its own schedule and still see a stop request.
 */
export function bullConnection(target: RedisTarget, mode: 'waits' | 'fails-fast'): ConnectionOptions {
  return {
    url: target.url,
    ...(target.password ? { password: target.password } : {}),
    maxRetriesPerRequest: mode === 'waits' ? null : 1,
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
  };
}
