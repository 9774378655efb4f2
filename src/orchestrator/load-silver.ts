/**
 * The silver half of the `load` task: which warehouse relation each silver dataset becomes, from which files,
 * replaced by which key, all read from the silver contract (src/silver/silver-contract.ts). An engine that reads
 * Parquet itself gets views over the files (loading costs nothing); the others load what a run changed (or
 * everything, the first time), and a run's transactions are exposed as `staging.silver_transactions_batch`.
 *
 * @example
 *   await loadSilverDataset(warehouse, lake, SILVER_TRANSACTIONS, { partitions: touchedEventDates, ingestDate });
 *   await exposeSilverBatch(warehouse, lake, { ingestDate, files: silver.writtenFiles });
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { IsoDate } from '../core/dates.ts';
import type { LakeLayout } from '../lake/lake-layout.ts';
import { SILVER_DATASETS, SILVER_TRANSACTIONS, type SilverDataset } from '../silver/silver-contract.ts';
import type {
  LoadFilesOptions,
  ParquetFiles,
  Relation,
  Warehouse,
  WarehouseCapabilities,
} from '../warehouse/warehouse.ts';

/**
 * The rows of silver transactions that the last silver run wrote (every row a run changes carries its ingest
 * date): what incremental models read instead of all of silver (pipeline/macros/event_dates.sql).
 */
export const SILVER_BATCH: Relation = { schema: 'staging', name: 'silver_transactions_batch' };

/** The relation a silver dataset is reachable as: `staging.silver_<dataset>` on every engine. */
export function silverRelation(dataset: SilverDataset): Relation {
  return { schema: 'staging', name: `silver_${dataset.name}` };
}

/** What a silver run changed in a dataset. */
export interface SilverChange {
  /** Values of the dataset's partition column whose partitions the run rewrote, or `all`. */
  partitions: IsoDate[] | 'all';
  /**
   * The run's ingest date (transactions): every row the run changed carries it, so an engine that can filter
   * the files it loads replaces by key just those rows instead of every row of the partitions, which late data
   * makes most of silver.
   */
  ingestDate?: IsoDate;
}

/**
 * Makes a silver dataset reachable as {@link silverRelation}; returns the rows loaded (0 for a view). A lake
 * without the dataset's files gets an empty table of its declared columns, so the models still find it.
 */
export async function loadSilverDataset(
  warehouse: Warehouse,
  lake: LakeLayout,
  dataset: SilverDataset,
  change: SilverChange,
): Promise<number> {
  const relation = silverRelation(dataset);
  const folder = lake.silverDataset(dataset.name);
  const existing = await warehouse.relationKind(relation);
  if (!hasParquet(folder)) {
    if (!existing) {
      await warehouse.createTable(relation, dataset.columns, { ...dataset.layout, primaryKey: dataset.key });
    }
    return 0;
  }
  if (warehouse.capabilities.readsParquetDirectly) {
    if (existing === 'table') await warehouse.drop(relation);
    await warehouse.createFileView(relation, silverFiles(dataset, folder));
    return 0;
  }
  const partitions = existing === undefined ? 'all' : change.partitions;
  if (partitions !== 'all' && partitions.length === 0) return 0;
  const options = silverLoadOptions(dataset, folder, { ...change, partitions }, warehouse.capabilities);
  return (await warehouse.loadFiles(options)).rows;
}

/**
 * How a change of a silver dataset whose files are under `folder` loads into the warehouse: the touched
 * partitions' files replace those partitions, or (on an engine that filters what it loads) the run's rows
 * replace the rows with their key; the table is a copy of the files, rebuildable from all of them.
 */
export function silverLoadOptions(
  dataset: SilverDataset,
  folder: string,
  change: SilverChange,
  capabilities: Pick<WarehouseCapabilities, 'filtersLoadedRows'>,
): LoadFilesOptions {
  const all = [`${folder}/**/*.parquet`];
  const base = {
    target: silverRelation(dataset),
    format: 'parquet' as const,
    key: dataset.key,
    columns: dataset.columns,
    tableOptions: dataset.layout,
    statisticsColumns: dataset.statisticsColumns,
    rebuildFrom: all,
  };
  if (change.partitions === 'all') return { ...base, files: all, replace: { kind: 'all' } };
  const files = change.partitions.map(
    (value) => `${folder}/${dataset.partitionColumn}=${value}/**/*.parquet`,
  );
  const ingestDate = dataset.columns.find((column) => column.name === 'ingest_date');
  if (change.ingestDate && ingestDate && capabilities.filtersLoadedRows) {
    return {
      ...base,
      files,
      replace: { kind: 'key' },
      only: { column: ingestDate.name, equals: change.ingestDate, type: ingestDate.type },
    };
  }
  return {
    ...base,
    files,
    replace: { kind: 'in', column: dataset.partitionColumn, values: change.partitions },
  };
}

/**
 * Exposes the rows one silver run wrote as {@link SILVER_BATCH}: the rows of `staging.silver_transactions` of
 * its ingest date. `files` (relative to the lake root: `SilverResult.writtenFiles`) hold all of them, so an
 * engine that reads Parquet in place reads those few hundred files, not the thousands of a touched history.
 * Call it after the transactions are loaded.
 */
export async function exposeSilverBatch(
  warehouse: Warehouse,
  lake: LakeLayout,
  batch: { ingestDate: IsoDate; files: string[] },
): Promise<void> {
  const ingestDate = SILVER_TRANSACTIONS.columns.find((column) => column.name === 'ingest_date')!;
  await warehouse.exposeSubset(SILVER_BATCH, {
    from: silverRelation(SILVER_TRANSACTIONS),
    where: { column: ingestDate.name, equals: batch.ingestDate, type: ingestDate.type },
    files: {
      paths: batch.files.map((file) => join(lake.root, file)),
      sameColumns: SILVER_TRANSACTIONS.uniformFiles,
    },
  });
}

/**
 * On an engine that reads Parquet itself, points every silver relation at the lake's current files, so models
 * run by hand read what silver holds now.
 */
export async function refreshSilverViews(warehouse: Warehouse, lake: LakeLayout): Promise<void> {
  if (!warehouse.capabilities.readsParquetDirectly) return;
  for (const dataset of SILVER_DATASETS) {
    const folder = lake.silverDataset(dataset.name);
    if (existsSync(folder))
      await warehouse.createFileView(silverRelation(dataset), silverFiles(dataset, folder));
  }
}

function silverFiles(dataset: SilverDataset, folder: string): ParquetFiles {
  return { paths: [`${folder}/**/*.parquet`], sameColumns: dataset.uniformFiles };
}

/** Whether a folder holds a Parquet file outside `_`-prefixed folders (the version index, staging). */
export function hasParquet(folder: string): boolean {
  if (!existsSync(folder)) return false;
  const walk = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((entry) =>
      entry.isDirectory()
        ? !entry.name.startsWith('_') && walk(join(dir, entry.name))
        : entry.name.endsWith('.parquet'),
    );
  return walk(folder);
}
