/**
 * `models`: the model project (pipeline/models) run with vars `logical_date`, `as_of_date` and the load's batch
 * (`event_dates`, `ingest_dates`, `silver_commits`, `silver_batch`: load-warehouse.ts `batchVars`); its
 * on-run-end hook marks the batch's commits done once every model built. The as-of date of the customer marts is `max(D, latest succeeded logical date)` from the state
 * store, read when the task runs (a date resumed after later dates succeeded must not roll the marts back), and
 * recorded in the output and on the run, so tests and gold use the vars the models were built with.
 */
import type { IsoDate } from '../../src/core/dates.ts';
import { PipelineError } from '../../src/core/errors.ts';
import { runModels } from '../../src/models/run/run-models.ts';
import { defineTask } from '../../src/orchestrator/definitions/task-definition.ts';
import { batchVars, type SilverBatch } from '../../src/orchestrator/load-warehouse.ts';
import { asOfDateFor, latestSucceededDate } from '../../src/orchestrator/run-history.ts';
import type { DailyResources } from './daily-resources.ts';
import { dailyTaskRun } from './daily-task.ts';
import type { loadTask } from './load-task.ts';
import { ensureSilverBatch } from './silver-batch.ts';

export interface ModelVars {
  logical_date: IsoDate;
  as_of_date: IsoDate;
  event_dates: IsoDate[];
  ingest_dates: IsoDate[];
  silver_commits: string[];
  silver_batch: true;
}

export interface ModelsOutput {
  vars: ModelVars;
  batch: SilverBatch;
  /** The files the batch's view reads in place, as the load recorded them. */
  files?: string[];
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
      const { batch, files, releasing } = upstream.load;
      await ensureSilverBatch(shared, warehouse, runId, logicalDate, upstream.load);
      const asOfDate = asOfDateFor(logicalDate, await latestSucceededDate(shared.store, dag));
      await shared.store.updateRun(runId, { facts: { asOfDate } });
      const vars: ModelVars = {
        logical_date: logicalDate,
        as_of_date: asOfDate,
        // The batch the load exposed (staging.silver_transactions_batch): incremental models read its rows and
        // recompute its event dates; the models run marks its commits done (load-warehouse.ts: batchVars).
        ...(batchVars(batch) as Omit<ModelVars, 'logical_date' | 'as_of_date'>),
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
      await shared.store.recordMartsBuilt(runId, batch.eventDates, new Date());
      const built = result.models.filter((model) => model.status === 'success').length;
      return {
        vars,
        batch,
        ...(files ? { files } : {}),
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
