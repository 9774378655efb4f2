/**
 * Redis for the queue executor's tests. The shared server (127.0.0.1:6379, or FINTECH_TEST_REDIS) with a queue
 * name of its own per test, so parallel test files never take each other's jobs; and a private `redis-server`
 * on a free port for the tests that flush or restart Redis, which must not touch anyone else's queues.
 * In CI (CI=true) a Redis that is not there fails the tests; on a dev machine they are skipped, saying why.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env['FINTECH_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';

async function ping(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Undefined when the Redis tests may run; else why they are skipped. Throws in CI when Redis is absent. */
export async function redisSkipReason(
  options: { needsServerBinary?: boolean } = {},
): Promise<string | undefined> {
  let message: string | undefined;
  if (options.needsServerBinary && spawnSync('redis-server', ['--version']).status !== 0) {
    message = 'redis-server is not installed (apt-get install redis-server)';
  } else if (!options.needsServerBinary && !(await ping(REDIS_URL))) {
    message = `Redis is not reachable at ${REDIS_URL} (start it: redis-server --daemonize yes --save '' --appendonly no)`;
  }
  if (!message) return undefined;
  if (process.env['CI'] === 'true') throw new Error(`${message}: the Redis tests must run in CI`);
  console.warn(`skipping Redis tests: ${message}`);
  return message;
}

/** A queue name no other test uses (config `executor.queue`). */
export function uniqueQueue(prefix = 'test'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** `FLUSHALL`: every queue, job and lock gone, as a Redis that lost its data. */
  flushAll(): Promise<void>;
  /** `SHUTDOWN NOSAVE`, then the same server started again on the same port, empty. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A redis-server of this test alone, keeping nothing on disk (as the machine's own is run). */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  const start = async () => {
    server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    for (let attempt = 0; attempt < 100 && !(await ping(url)); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const command = async (...args: string[]) => {
    const client = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.call(args[0]!, ...args.slice(1)).catch(() => undefined);
    } finally {
      client.disconnect();
    }
  };
  const shutdown = async () => {
    const running = server;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    await command('SHUTDOWN', 'NOSAVE');
    await exited;
  };
  await start();
  return {
    url,
    port,
    flushAll: () => command('FLUSHALL'),
    restart: async () => {
      await shutdown();
      await start();
    },
    stop: shutdown,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
