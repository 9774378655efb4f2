/**
 * `load`: every silver commit the warehouse lacks (the run's own, and any a killed run left), D's entity
 * snapshots, the ledger and the quarantine into the warehouse (src/orchestrator/load-warehouse.ts), and the batch
 * (every commit no models run has finished with) exposed as `staging.silver_transactions_batch` for the
 * incremental models. The run's row of `audit.runs` is written here first (the warehouse may have been down when
 * the run started).
 */

import { mirrorRuns } from '../../src/orchestrator/audit-runs-mirror.ts';
import { defineTask } from '../../src/orchestrator/definitions/task-definition.ts';
import { loadSummary, loadWarehouse, type SilverBatch } from '../../src/orchestrator/load-warehouse.ts';
import type { DailyResources } from './daily-resources.ts';
import { dailyTaskRun } from './daily-task.ts';
import type { qualityTask } from './quality-task.ts';
import { liveBatchFiles } from './silver-batch.ts';

export interface LoadOutput {
  /** Rows written per table (0 where the engine reads the files in place). */
  rows: Record<string, number>;
  /** What the models take: the silver commits no models run has finished with, their ingest and event dates. */
  batch: SilverBatch;
  /** The files the batch's view reads in place (lake keys); absent when it reads the loaded relation. */
  files?: string[];
  /** D was held and this run releases it. */
  releasing: boolean;
  summary: string;
}

export function loadTask(resources: () => DailyResources, quality: ReturnType<typeof qualityTask>) {
  return defineTask({
    name: 'load',
    description: 'the silver commits the warehouse lacks (snapshots, ledger, quarantine) into the warehouse',
    dependsOn: [quality],
    retry: { retries: 3, retryDelay: 30, backoff: 'exponential', maxRetryDelay: 600 },
    run: dailyTaskRun(resources, async ({ logicalDate, runId, upstream }, _context, shared) => {
      const warehouse = await shared.warehouse();
      await mirrorRuns(warehouse, shared.store, [runId]);
      // Beyond the silver commits the warehouse lacks (the load finds them): the whole batch of a date a hold
      // released, as the quality task recorded it.
      const { batch: extra, releasing } = upstream.quality;
      const result = await loadWarehouse({
        warehouse,
        lake: shared.lake,
        logicalDate,
        touchedEventDates: extra.touchedEventDates,
        writtenFiles: await liveBatchFiles(shared.lake, extra.writtenFiles),
        runId,
      });
      shared.markBatchExposed(runId, logicalDate);
      return {
        rows: result.rows,
        batch: result.batch,
        ...(result.files ? { files: result.files } : {}),
        releasing,
        summary: loadSummary(result, warehouse.engine, runId),
      };
    }),
  });
}
