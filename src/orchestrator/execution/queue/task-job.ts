/**
 * What a queue job carries: the name of a try, nothing else. The worker reads the run (its conf, logical date)
 * and the recorded outputs of the task's dependencies from the state store, so a job that sat in Redis while the
 * run changed cannot carry stale data, and a lost queue is rebuilt from the state alone.
 */
import { z } from 'zod';
import type { IsoDate } from '../../../core/dates.ts';

export interface TaskJob {
  dag: string;
  runId: string;
  logicalDate: IsoDate;
  task: string;
  tryNumber: number;
}

const taskJobSchema = z
  .object({
    dag: z.string().min(1),
    runId: z.string().min(1),
    logicalDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    task: z.string().min(1),
    tryNumber: z.number().int().min(1),
  })
  .strict();

/** A job's data as a TaskJob, or the reason it is not one (a job put on the queue by something else). */
export function parseTaskJob(data: unknown): TaskJob | string {
  const parsed = taskJobSchema.safeParse(data);
  if (parsed.success) return parsed.data as TaskJob;
  return parsed.error.issues.map((issue) => `${issue.path.join('.') || 'job'}: ${issue.message}`).join('; ');
}

/**
 * The BullMQ queue of one task of one DAG: `<queue>.<dag>.<task>`. A queue per task lets a worker take only some
 * tasks (`worker --tasks`), the way BullMQ routes work (it has no per-name filter inside one queue). BullMQ
 * refuses `:` in queue names; DAG and task names are lower-case identifiers.
 */
export function taskQueueName(queue: string, dag: string, task: string): string {
  return `${queue}.${dag}.${task}`;
}

/** One job id per try, so adding the same try again is a no-op while the job exists (BullMQ dedupes by id). */
export function taskJobId(job: Pick<TaskJob, 'runId' | 'task' | 'tryNumber'>): string {
  return `${job.runId.replaceAll(':', '%3A')}.${job.task}.${job.tryNumber}`;
}
