/**
 * The silver half of the `load` task: which warehouse relation each silver dataset becomes, from which files,
 * replaced by which key, all read from the silver contract (src/silver/silver-contract.ts). The files are the
 * ones the dataset's latest committed snapshot lists (src/lake), never a folder listing: objects a crashed run
 * left behind, or that a newer commit superseded, are never loaded. An engine that reads Parquet itself gets
 * views over the files (local paths: a local lake's files, or their cached copies from an S3 lake); the others
 * load what a run changed (or everything, the first time): PostgreSQL from those local files, Redshift from S3
 * through a COPY manifest of exactly those objects. A run's transactions are exposed as
 * `staging.silver_transactions_batch`.
 *
 * @example
 *   await loadSilverDataset(warehouse, lake, SILVER_TRANSACTIONS, { partitions: eventDates, ingestDates });
 *   await exposeSilverBatch(warehouse, lake, { ingestDates, files });
 */
import type { IsoDate } from '../core/dates.ts';
import { ConfigError } from '../core/errors.ts';
import { newRunId } from '../core/run-id.ts';
import type { LiveFile } from '../lake/commit-log/table-snapshot.ts';
import type { Lake } from '../lake/lake.ts';
import { silverTable } from '../lake/lake-layout.ts';
import { copyManifestKey, redshiftCopyManifest } from '../lake/redshift-copy-manifest.ts';
import { SILVER_DATASETS, SILVER_TRANSACTIONS, type SilverDataset } from '../silver/silver-contract.ts';
import type {
  LoadFilesOptions,
  ParquetFiles,
  Relation,
  Warehouse,
  WarehouseCapabilities,
} from '../warehouse/warehouse.ts';

/**
 * The rows of silver transactions the models have still to take (every row a silver run changes carries its
 * ingest date): those of the ingest dates of the run's batch, what incremental models read instead of all of
 * silver (pipeline/macros/event_dates.sql).
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
   * The ingest dates of the runs whose commits are loaded (transactions): every row a run changed carries its
   * own, so an engine that can filter the files it loads replaces by key just those rows instead of every row
   * of the partitions, which late data makes most of silver.
   */
  ingestDates?: IsoDate[];
}

/** Where a load reads from: local files (and all of the dataset's, to rebuild it), or one COPY manifest. */
export type SilverFilesSource =
  | { kind: 'local'; files: string[]; all: string[] | (() => Promise<string[]>) }
  /** `url` is absent when there is no file to load (every touched partition was emptied). */
  | { kind: 'manifest'; url?: string };

/**
 * Makes a silver dataset reachable as {@link silverRelation}; returns the rows loaded (0 for a view). A lake
 * without the dataset's files gets an empty table of its declared columns, so the models still find it.
 * `runId` names the COPY manifest an engine loading from S3 reads. `alsoExecute` (a record of what was
 * loaded) runs once, in the load's transaction where there is one, else after it.
 */
export async function loadSilverDataset(
  warehouse: Warehouse,
  lake: Lake,
  dataset: SilverDataset,
  change: SilverChange,
  runId: string = newRunId('load'),
  alsoExecute: string[] = [],
): Promise<number> {
  const relation = silverRelation(dataset);
  const all = (await lake.snapshot(silverTable(dataset.name))).files();
  const existing = await warehouse.relationKind(relation);
  const recordAlone = async () => {
    if (alsoExecute.length === 0) return;
    await warehouse.transaction(async (session) => {
      for (const statement of alsoExecute) await session.execute(statement);
    });
  };
  if (all.length === 0) {
    if (!existing) {
      await warehouse.createTable(relation, dataset.columns, { ...dataset.layout, primaryKey: dataset.key });
    }
    await recordAlone();
    return 0;
  }
  if (warehouse.capabilities.readsParquetDirectly) {
    if (existing === 'table') await warehouse.drop(relation);
    await warehouse.createFileView(relation, await silverFiles(lake, dataset, all));
    await recordAlone();
    return 0;
  }
  const partitions = existing === undefined ? 'all' : change.partitions;
  if (partitions !== 'all' && partitions.length === 0) {
    await recordAlone();
    return 0;
  }
  const wanted = new Set<string>(partitions === 'all' ? [] : partitions);
  const files =
    partitions === 'all'
      ? all
      : all.filter((file) => wanted.has(file.partitionValues[dataset.partitionColumn] ?? ''));
  const source = await filesSource(warehouse, lake, files, all, copyManifestKey(runId, relation.name));
  const options = silverLoadOptions(dataset, source, { ...change, partitions }, warehouse.capabilities);
  return (await warehouse.loadFiles({ ...options, ...(alsoExecute.length ? { alsoExecute } : {}) })).rows;
}

/**
 * The files a load reads, as its engine reads them: a COPY manifest in the lake listing exactly `files`
 * (Redshift), or their local paths, with a way to all of the table's (`all`) for a rebuild.
 */
export async function filesSource(
  warehouse: Warehouse,
  lake: Lake,
  files: LiveFile[],
  all: LiveFile[],
  manifestKey: string,
): Promise<SilverFilesSource> {
  if (warehouse.capabilities.supportsCopyFromObjectStore) {
    const url = lake.urlOf(manifestKey);
    if (!url) {
      throw new ConfigError(
        `config key 'lake': ${warehouse.engine} loads from S3, so the lake must be s3://… (got ${lake.location})`,
      );
    }
    // COPY fails on a manifest without entries.
    if (files.length === 0) return { kind: 'manifest' };
    const manifest = redshiftCopyManifest(files, (key) => lake.urlOf(key)!);
    await lake.store.put(manifestKey, JSON.stringify(manifest, null, 2));
    return { kind: 'manifest', url };
  }
  return { kind: 'local', files: await lake.localPaths(files), all: () => lake.localPaths(all) };
}

/**
 * How a change of a silver dataset loads into the warehouse from `source`: the touched partitions' files replace
 * those partitions, or (on an engine that filters what it loads) the run's rows replace the rows with their key;
 * the table is a copy of the files, rebuildable from all of them.
 */
export function silverLoadOptions(
  dataset: SilverDataset,
  source: SilverFilesSource,
  change: SilverChange,
  capabilities: Pick<WarehouseCapabilities, 'filtersLoadedRows'>,
): LoadFilesOptions {
  const base = {
    target: silverRelation(dataset),
    format: 'parquet' as const,
    key: dataset.key,
    columns: dataset.columns,
    tableOptions: dataset.layout,
    statisticsColumns: dataset.statisticsColumns,
    ...(source.kind === 'manifest'
      ? { files: source.url ? [source.url] : [], manifest: true }
      : { files: source.files, rebuildFrom: source.all }),
  };
  if (change.partitions === 'all') return { ...base, replace: { kind: 'all' } };
  const ingestDate = dataset.columns.find((column) => column.name === 'ingest_date');
  if (change.ingestDates?.length && ingestDate && capabilities.filtersLoadedRows) {
    return {
      ...base,
      replace: { kind: 'key' },
      only: { column: ingestDate.name, equals: change.ingestDates, type: ingestDate.type },
    };
  }
  return { ...base, replace: { kind: 'in', column: dataset.partitionColumn, values: change.partitions } };
}

/**
 * Exposes the rows the batch's silver runs wrote as {@link SILVER_BATCH}: the rows of
 * `staging.silver_transactions` of their ingest dates. `files` (lake keys: the files their commits added that
 * are still live), when given, hold all of them, so an engine that reads Parquet in place reads those few
 * hundred files, not the thousands of a touched history; without them it reads the loaded relation. Call it
 * after the transactions are loaded.
 */
export async function exposeSilverBatch(
  warehouse: Warehouse,
  lake: Lake,
  batch: { ingestDates: IsoDate[]; files?: string[] },
): Promise<void> {
  const ingestDate = SILVER_TRANSACTIONS.columns.find((column) => column.name === 'ingest_date')!;
  const files =
    warehouse.capabilities.readsParquetDirectly && batch.files?.length
      ? await lake.localPaths(batch.files.map((key) => ({ key })))
      : [];
  await warehouse.exposeSubset(SILVER_BATCH, {
    from: silverRelation(SILVER_TRANSACTIONS),
    where: {
      column: ingestDate.name,
      equals: batch.ingestDates.length === 1 ? batch.ingestDates[0]! : batch.ingestDates,
      type: ingestDate.type,
    },
    ...(files.length ? { files: { paths: files, sameColumns: SILVER_TRANSACTIONS.uniformFiles } } : {}),
  });
}

/**
 * On an engine that reads Parquet itself, points every silver relation at the lake's current files (fetched
 * into the local mirror of a remote lake), so models run by hand read what silver holds now.
 */
export async function refreshSilverViews(warehouse: Warehouse, lake: Lake): Promise<void> {
  if (!warehouse.capabilities.readsParquetDirectly) return;
  for (const dataset of SILVER_DATASETS) {
    const files = (await lake.snapshot(silverTable(dataset.name))).files();
    if (files.length > 0)
      await warehouse.createFileView(silverRelation(dataset), await silverFiles(lake, dataset, files));
  }
}

async function silverFiles(lake: Lake, dataset: SilverDataset, files: LiveFile[]): Promise<ParquetFiles> {
  return { paths: await lake.localPaths(files), sameColumns: dataset.uniformFiles };
}
