/**
 * `staging.silver_transactions_batch` as the run's recorded batch says: the load task exposes it; a models or
 * tests task running in another process (a resumed run), or after another date's load, exposes it again from
 * its recorded input before reading it.
 */
import type { IsoDate } from '../../src/core/dates.ts';
import { exposeSilverBatch } from '../../src/orchestrator/load-silver.ts';
import type { Warehouse } from '../../src/warehouse/warehouse.ts';
import type { DailyResources } from './daily-resources.ts';
import type { LoadBatch } from './quality-task.ts';

export async function ensureSilverBatch(
  shared: DailyResources,
  warehouse: Warehouse,
  runId: string,
  ingestDate: IsoDate,
  batch: LoadBatch,
): Promise<void> {
  if (shared.batchExposedFor(runId, ingestDate)) return;
  await exposeSilverBatch(warehouse, shared.lake, { ingestDate, files: batch.writtenFiles });
  shared.markBatchExposed(runId, ingestDate);
}
