/**
 * `load`: the silver partitions the batch touched, D's entity snapshots, the ledger and the quarantine into the
 * warehouse (src/orchestrator/load-warehouse.ts), and the batch exposed as `staging.silver_transactions_batch`
 * for the incremental models. The run's row of `audit.runs` is written here first (the warehouse may have been
 * down when the run started).
 */

import { mirrorRuns } from '../../src/orchestrator/audit-runs-mirror.ts';
import { defineTask } from '../../src/orchestrator/definitions/task-definition.ts';
import { loadWarehouse } from '../../src/orchestrator/load-warehouse.ts';
import type { DailyResources } from './daily-resources.ts';
import { dailyTaskRun } from './daily-task.ts';
import type { LoadBatch, qualityTask } from './quality-task.ts';
import { liveBatchFiles } from './silver-batch.ts';

export interface LoadOutput {
  /** Rows written per table (0 where the engine reads the files in place). */
  rows: Record<string, number>;
  /** What the models take (from the quality task: the run's changes, or a released date's whole batch). */
  batch: LoadBatch;
  /** D was held and this run releases it. */
  releasing: boolean;
  summary: string;
}

export function loadTask(resources: () => DailyResources, quality: ReturnType<typeof qualityTask>) {
  return defineTask({
    name: 'load',
    description: 'the touched silver partitions, entity snapshots, ledger and quarantine into the warehouse',
    dependsOn: [quality],
    retry: { retries: 3, retryDelay: 30, backoff: 'exponential', maxRetryDelay: 600 },
    run: dailyTaskRun(resources, async ({ logicalDate, runId, upstream }, _context, shared) => {
      const warehouse = await shared.warehouse();
      await mirrorRuns(warehouse, shared.store, [runId]);
      const { batch, releasing } = upstream.quality;
      const result = await loadWarehouse({
        warehouse,
        lake: shared.lake,
        logicalDate,
        touchedEventDates: batch.touchedEventDates,
        writtenFiles: await liveBatchFiles(shared.lake, batch.writtenFiles),
        runId,
      });
      shared.markBatchExposed(runId, logicalDate);
      const loaded = Object.entries(result.rows).filter(([, rows]) => rows > 0);
      return {
        rows: result.rows,
        batch,
        releasing,
        summary: loaded.length
          ? loaded.map(([table, rows]) => `${table} ${rows}`).join(', ')
          : `${warehouse.engine} reads silver in place`,
      };
    }),
  });
}
