/**
 * The run's silver batch from its recorded files. Recorded file lists go stale: a run resumed after later dates
 * ran finds some of its files replaced by their rewrites of the same partitions (the replaced files stay on disk
 * until vacuum, so reading them would count rows twice). {@link liveBatchFiles} keeps the list only while every
 * file is still live, else none, and readers find the date's rows by its ingest date (the quality gate through
 * the version index, the warehouse's batch view by filtering). `staging.silver_transactions_batch` is exposed by
 * the load task; a models or tests task running in another process (a resumed run), or after another date's
 * load, exposes it again before reading it.
 */
import type { IsoDate } from '../../src/core/dates.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { silverTable } from '../../src/lake/lake-layout.ts';
import { exposeSilverBatch } from '../../src/orchestrator/load-silver.ts';
import type { Warehouse } from '../../src/warehouse/warehouse.ts';
import type { DailyResources } from './daily-resources.ts';
import type { LoadOutput } from './load-task.ts';

/** Exposes the load's batch again unless this process exposed it for the run since (the load or a task before). */
export async function ensureSilverBatch(
  shared: DailyResources,
  warehouse: Warehouse,
  runId: string,
  logicalDate: IsoDate,
  load: Pick<LoadOutput, 'batch' | 'files'>,
): Promise<void> {
  if (shared.batchExposedFor(runId, logicalDate)) return;
  // The recorded files only while every one is still live; else the rows are read by their ingest dates.
  const files = load.files?.length ? await liveBatchFiles(shared.lake, load.files) : [];
  await exposeSilverBatch(warehouse, shared.lake, {
    ingestDates: load.batch.ingestDates,
    files: files.length ? files : undefined,
  });
  shared.markBatchExposed(runId, logicalDate);
}

/** `files` when every one is still in silver's committed snapshot, else none (find the rows by ingest date). */
export async function liveBatchFiles(lake: Lake, files: readonly string[]): Promise<string[]> {
  if (files.length === 0) return [];
  const live = new Set((await lake.snapshot(silverTable('transactions'))).files().map((file) => file.key));
  return files.every((file) => live.has(file)) ? [...files] : [];
}
