/**
 * What every task of `daily_batch_etl` does around its own work: routes the warehouse's and silver's events to
 * the try's log, lets a test's fault hook fail the try, and keeps the error by task name, so the CLI can exit 2
 * when a task failed on bad config. The warehouse stays open (and locked) between tries: its pool replaces a
 * broken connection by itself, and only a warehouse that could not be opened is opened again by the next try.
 * On a queue worker the try writes under its run's writer lock, joined on first use and let go as it ends.
 * The try's signal (its timeout, or a stop's end of grace) interrupts its warehouse statements (forTry) and
 * silver's (the silver tasks pass it on), so an aborted try stops promptly and can be retried.
 */
import type { TaskContext, TaskInput } from '../../src/orchestrator/definitions/task-definition.ts';
import type { DailyResources } from './daily-resources.ts';

export type DailyTaskBody<Upstream, Output> = (
  input: TaskInput<Upstream>,
  context: TaskContext,
  resources: DailyResources,
) => Promise<Output>;

/** The tasks' own errors, by task, for the CLI's exit code (kept in this process only). */
export const taskErrors = new WeakMap<DailyResources, Map<string, unknown>>();

export function dailyTaskRun<Upstream, Output>(
  resources: () => DailyResources,
  body: DailyTaskBody<Upstream, Output>,
): (input: TaskInput<Upstream>, context: TaskContext) => Promise<Output> {
  return async (input, context) => {
    const shared = resources();
    shared.useEvents(context.events);
    const scoped = shared.forTry(input.runId, context.task, context.signal);
    try {
      await shared.faults.beforeTask?.(context.task, context.tryNumber);
      return await body(input, context, scoped.resources);
    } catch (error) {
      const errors = taskErrors.get(shared) ?? new Map<string, unknown>();
      errors.set(context.task, error);
      taskErrors.set(shared, errors);
      throw error;
    } finally {
      await scoped.end();
    }
  };
}
