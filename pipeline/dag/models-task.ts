/**
 * `models`: the model project (pipeline/models) run with vars `logical_date`, `as_of_date`, `event_dates` and
 * `silver_batch`. The as-of date of the customer marts is `max(D, latest succeeded logical date)` from the state
 * store, read when the task runs (a date resumed after later dates succeeded must not roll the marts back), and
 * recorded in the output and on the run, so tests and gold use the vars the models were built with.
 */
import type { IsoDate } from '../../src/core/dates.ts';
import { PipelineError } from '../../src/core/errors.ts';
import { runModels } from '../../src/models/run/run-models.ts';
import { defineTask } from '../../src/orchestrator/definitions/task-definition.ts';
import { asOfDateFor, latestSucceededDate } from '../../src/orchestrator/run-history.ts';
import type { DailyResources } from './daily-resources.ts';
import { dailyTaskRun } from './daily-task.ts';
import type { loadTask } from './load-task.ts';
import type { LoadBatch } from './quality-task.ts';
import { ensureSilverBatch } from './silver-batch.ts';

export interface ModelVars {
  logical_date: IsoDate;
  as_of_date: IsoDate;
  event_dates: IsoDate[];
  silver_batch: true;
}

export interface ModelsOutput {
  vars: ModelVars;
  batch: LoadBatch;
  releasing: boolean;
  models: { name: string; status: string; action?: string; seconds: number }[];
  summary: string;
}

export function modelsTask(resources: () => DailyResources, load: ReturnType<typeof loadTask>) {
  return defineTask({
    name: 'models',
    description: 'the model project (staging, core star schema, marts) for the batch',
    dependsOn: [load],
    retry: { retries: 2, retryDelay: 30, backoff: 'exponential', maxRetryDelay: 600 },
    run: dailyTaskRun(resources, async ({ dag, logicalDate, runId, upstream }, _context, shared) => {
      const warehouse = await shared.warehouse();
      const { batch, releasing } = upstream.load;
      await ensureSilverBatch(shared, warehouse, runId, logicalDate, batch);
      const asOfDate = asOfDateFor(logicalDate, await latestSucceededDate(shared.store, dag));
      await shared.store.updateRun(runId, { facts: { asOfDate } });
      const vars: ModelVars = {
        logical_date: logicalDate,
        as_of_date: asOfDate,
        event_dates: batch.touchedEventDates,
        // The load task exposed the rows the silver commit wrote (staging.silver_transactions_batch): incremental
        // models read them from there (pipeline/macros/event_dates.sql: run_transactions).
        silver_batch: true,
      };
      // Parsed with the run's vars, as dbt does: config such as `partitions=var('event_dates')` needs them.
      const project = shared.project({ ...vars });
      const result = await runModels({
        warehouse,
        project,
        vars: { ...vars },
        runId,
        concurrency: shared.config.models.concurrency,
      });
      const failed = result.models.filter((model) => model.status === 'error');
      if (!result.ok) {
        throw new PipelineError(
          `${failed.length} of ${result.models.length} models failed: ` +
            failed.map((model) => `${model.name} (${model.error})`).join('; '),
        );
      }
      await shared.store.recordMartsBuilt(runId, batch.touchedEventDates, new Date());
      const built = result.models.filter((model) => model.status === 'success').length;
      return {
        vars,
        batch,
        releasing,
        models: result.models.map(({ name, status, action, seconds }) => ({
          name,
          status,
          ...(action ? { action } : {}),
          seconds,
        })),
        summary: `${built} of ${result.models.length} models built; marts as of ${asOfDate}`,
      };
    }),
  });
}
