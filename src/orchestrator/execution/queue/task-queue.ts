/**
 * The orchestrator's side of the queue: puts the job of a queued try on its task's BullMQ queue, puts it back
 * when Redis lost it, withdraws it on stop, and wakes the waiting executor when BullMQ reports the job ended.
 * The job only carries work: whether and how the try ended is read from the state store (queue-executor.ts).
 */
import { Queue, QueueEvents } from 'bullmq';
import { bullConnection, QUEUE_KEY_PREFIX, type RedisTarget } from './redis-connection.ts';
import { type TaskJob, taskJobId, taskQueueName } from './task-job.ts';

export interface TaskQueueOptions {
  redis: RedisTarget;
  /** Config `executor.queue`. */
  queue: string;
  /** Told about Redis errors (a lost connection), which the executor rides out. */
  onError?: (error: Error) => void;
}

/** Kept a week, so an operator can look at why a job failed in BullMQ's own tools. */
const FAILED_JOB_AGE_SECONDS = 7 * 24 * 3600;

export class TaskQueue {
  readonly queue: string;
  private readonly queues = new Map<string, Queue>();
  private readonly listeners = new Map<string, Promise<QueueEvents>>();
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly options: TaskQueueOptions) {
    this.queue = options.queue;
  }

  queueNameOf(job: Pick<TaskJob, 'dag' | 'task'>): string {
    return taskQueueName(this.queue, job.dag, job.task);
  }

  /** Adds the try's job; a no-op while a job of the same try exists (in any state BullMQ keeps). */
  async enqueue(job: TaskJob): Promise<void> {
    await this.listen(this.queueNameOf(job));
    await this.bullQueue(job).add(job.task, job, {
      jobId: taskJobId(job),
      // One delivery per job: retries are new tries, decided by runDag from the DAG's retry policy.
      attempts: 1,
      removeOnComplete: true,
      removeOnFail: { age: FAILED_JOB_AGE_SECONDS },
    });
  }

  /**
   * For a try the state store still says is queued: adds its job again when Redis no longer has it (restarted,
   * flushed) or holds it as ended (it ended without starting the try). True when it had to.
   */
  async ensure(job: TaskJob): Promise<boolean> {
    const existing = await this.bullQueue(job).getJob(taskJobId(job));
    if (existing) {
      const state = await existing.getState();
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return false;
      await existing.remove().catch(() => undefined);
    }
    await this.enqueue(job);
    return true;
  }

  /** Takes a job no worker has taken yet off the queue (a stopped run); a job already taken stays. */
  async withdraw(job: TaskJob): Promise<void> {
    const existing = await this.bullQueue(job).getJob(taskJobId(job));
    if (!existing) return;
    const state = await existing.getState();
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
      await existing.remove().catch(() => undefined);
    }
  }

  /** Resolves when BullMQ reports the job ended, after `timeoutMs`, or when `signal` aborts: whichever is first. */
  waitForEnd(job: TaskJob, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const id = taskJobId(job);
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const waiters = this.waiters.get(id) ?? new Set<() => void>();
      this.waiters.set(id, waiters);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        waiters.delete(done);
        if (waiters.size === 0) this.waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  async close(): Promise<void> {
    const listeners = await Promise.all(this.listeners.values());
    await Promise.all([
      ...listeners.map((events) => events.close()),
      ...[...this.queues.values()].map((q) => q.close()),
    ]);
  }

  private bullQueue(job: Pick<TaskJob, 'dag' | 'task'>): Queue {
    const name = this.queueNameOf(job);
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: bullConnection(this.options.redis, 'fails-fast'),
        prefix: QUEUE_KEY_PREFIX,
      });
      queue.on('error', (error) => this.options.onError?.(error));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** One event listener per task queue, started before its first job is added so no end goes unheard. */
  private listen(name: string): Promise<QueueEvents> {
    let listener = this.listeners.get(name);
    if (!listener) {
      const events = new QueueEvents(name, {
        connection: bullConnection(this.options.redis, 'waits'),
        prefix: QUEUE_KEY_PREFIX,
      });
      events.on('error', (error) => this.options.onError?.(error));
      const wake = ({ jobId }: { jobId: string }) => {
        for (const waiter of [...(this.waiters.get(jobId) ?? [])]) waiter();
      };
      events.on('completed', wake);
      events.on('failed', wake);
      // A Redis that is down now is retried by the listener itself; the executor's polling covers the gap.
      listener = events.waitUntilReady().then(
        () => events,
        () => events,
      );
      this.listeners.set(name, listener);
    }
    return listener;
  }
}
