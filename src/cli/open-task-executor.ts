/**
 * The executor config `executor` asks for, for runDag's `executor` option (`run`, `backfill`, `scheduler`): in
 * this process, or queued to `fintech-etl worker` processes through BullMQ on Redis. Close it when the command
 * ends (the queue's Redis connections).
 *
 * @example
 *   const { executor, close } = await openTaskExecutor(context.config());
 *   try { await runWithWriterLease({ ...options, executor }); } finally { await close(); }
 */
import type { ResolvedConfig } from '../config/load-config.ts';
import { resolveSecret } from '../config/secrets.ts';
import { ConfigError } from '../core/errors.ts';
import type { RedisTarget } from '../orchestrator/execution/queue/redis-connection.ts';
import { localExecutor } from '../orchestrator/execution/run-task.ts';
import type { TaskExecutor } from '../orchestrator/execution/task-executor.ts';

export interface OpenedExecutor {
  executor: TaskExecutor;
  close(): Promise<void>;
}

export async function openTaskExecutor(
  config: Pick<ResolvedConfig, 'executor' | 'home'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<OpenedExecutor> {
  if (config.executor.kind === 'local') return { executor: localExecutor, close: async () => undefined };
  // Imported here: BullMQ and its Redis client load only for a queue executor.
  const { TaskQueue } = await import('../orchestrator/execution/queue/task-queue.ts');
  const { queueExecutor } = await import('../orchestrator/execution/queue/queue-executor.ts');
  const queue = new TaskQueue({ redis: await redisTarget(config, env), queue: config.executor.queue });
  return { executor: queueExecutor(queue), close: () => queue.close() };
}

/** Config `executor.redis`, with the password of `executor.redis_password` when the URL holds none. */
export async function redisTarget(
  config: Pick<ResolvedConfig, 'executor' | 'home'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RedisTarget> {
  if (config.executor.kind !== 'queue') {
    throw new ConfigError(
      "config key 'executor' is {kind: local}: set executor: {kind: queue, redis: redis://host:6379} " +
        '(with state: postgres://… and lake: s3://…) to run tasks on workers',
    );
  }
  const reference = config.executor.redis_password;
  if (!reference) return { url: config.executor.redis };
  const password = await resolveSecret(reference, { env, home: config.home });
  if (password === undefined) {
    throw new ConfigError(`config key 'executor.redis_password': the secret it refers to is not set`);
  }
  return { url: config.executor.redis, password };
}
