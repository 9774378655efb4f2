/**
 * The `gold` task: every model in the `marts` schema becomes the table `gold/marts/<mart>` of the lake, for BI
 * tools and the dashboard. Each export is written under names never used before — by the warehouse itself into
 * an S3 lake when it can (Redshift's UNLOAD, which also lists what it wrote), else to a local file that is then
 * uploaded — and all marts are published by one commit that replaces the previous files. A reader sees the
 * previous export of every mart or the new one, never half of it; the replaced files stay until `vacuum`.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError, PipelineError } from '../core/errors.ts';
import { type EventSink, NO_EVENTS } from '../core/pipeline-event.ts';
import { startStopwatch } from '../core/stopwatch.ts';
import type { AddedFile, TableChange } from '../lake/commit-log/commit-tables.ts';
import type { Lake } from '../lake/lake.ts';
import { goldTable } from '../lake/lake-layout.ts';
import { describeParquet, type ParquetSummary } from '../lake/parquet-columns.ts';
import type { Relation, Warehouse } from '../warehouse/warehouse.ts';

export interface GoldExport {
  mart: string;
  /** The mart's files in the lake now (lake keys). */
  files: string[];
  rows: number;
}

export interface ExportGoldOptions {
  /** Names the files and the commit (default: a new id). */
  runId?: string;
  /** Each mart's export and the commit, as `step-timed` events (scope `gold`). */
  events?: EventSink;
  /** A task's timeout or stop: ends the wait for the writer lease (the warehouse's statements have their own). */
  signal?: AbortSignal;
}

/** What `UNLOAD … MANIFEST VERBOSE` writes beside the files it unloaded. */
interface UnloadManifest {
  entries: { url: string; meta?: { content_length?: number; record_count?: number } }[];
}

export async function exportGold(
  warehouse: Warehouse,
  lake: Lake,
  marts: Relation[],
  options: ExportGoldOptions = {},
): Promise<GoldExport[]> {
  const runId = options.runId ?? `gold-${randomUUID().slice(0, 8)}`;
  const tag = `${runId.replace(/[^A-Za-z0-9_.-]/g, '_')}-${randomUUID().slice(0, 8)}`;
  const unload = warehouse.capabilities.supportsCopyFromObjectStore;
  const events = options.events ?? NO_EVENTS;
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    const watch = startStopwatch();
    const result = await work();
    events.emit({ kind: 'step-timed', scope: 'gold', step, ...watch.read() });
    return result;
  };
  if (unload && !lake.urlOf('gold')) {
    throw new ConfigError(
      `config key 'lake': ${warehouse.engine} exports gold with UNLOAD to S3, so the lake must be s3://… (got ${lake.location})`,
    );
  }
  const lease = options.signal ? { signal: options.signal } : {};
  return lake.withWriterLease(async () => {
    const snapshots = await lake.snapshots(marts.map((mart) => goldTable(mart.name)));
    const work = unload ? undefined : await lake.scratch('gold');
    try {
      const exported = work
        ? await exportLocally(warehouse, lake, marts, tag, work, timed)
        : await unloadToLake(warehouse, lake, marts, tag, timed);
      const changes: TableChange[] = exported.map(({ mart, files, summary }) => ({
        definition: { table: goldTable(mart.name), partitionColumns: [], columns: summary.columns },
        add: files,
        remove: snapshots
          .get(goldTable(mart.name))!
          .files()
          .map((file) => file.key),
      }));
      await timed('commit', () => lake.commit(changes, { operation: 'WRITE', runId }));
      return exported.map(({ mart, files, summary }) => ({
        mart: mart.name,
        files: files.map((file) => file.key),
        rows: summary.rows,
      }));
    } finally {
      if (work) await lake.releaseScratch(work);
    }
  }, lease);
}

type Timed = <T>(step: string, work: () => Promise<T>) => Promise<T>;

interface ExportedMart {
  mart: Relation;
  files: AddedFile[];
  summary: ParquetSummary;
}

/** Each mart to a local Parquet file (the warehouse's export), described, then uploaded. */
async function exportLocally(
  warehouse: Warehouse,
  lake: Lake,
  marts: Relation[],
  tag: string,
  work: string,
  timed: Timed,
): Promise<ExportedMart[]> {
  const paths = marts.map((mart) => join(work, `${mart.name}.parquet`));
  for (const [index, mart] of marts.entries()) {
    await timed(`export ${mart.name}`, () => warehouse.exportParquet(mart, paths[index]!));
  }
  const summaries = await describeParquet(paths);
  const exported: ExportedMart[] = [];
  for (const [index, mart] of marts.entries()) {
    const key = `${goldTable(mart.name)}/part-00000-${tag}.parquet`;
    const info = await lake.upload(key, paths[index]!);
    const summary = summaries[index]!;
    exported.push({
      mart,
      files: [{ key, partitionValues: {}, size: info.size, numRecords: summary.rows }],
      summary,
    });
  }
  return exported;
}

/** Each mart UNLOADed by the warehouse into its gold folder; the files its manifest lists are what it wrote. */
async function unloadToLake(
  warehouse: Warehouse,
  lake: Lake,
  marts: Relation[],
  tag: string,
  timed: Timed,
): Promise<ExportedMart[]> {
  const encryption = lake.serverSideEncryption;
  const kmsKeyId = encryption?.kind === 'aws:kms' ? encryption.kmsKeyId : undefined;
  const unloaded: { mart: Relation; files: AddedFile[] }[] = [];
  for (const mart of marts) {
    const prefix = `${goldTable(mart.name)}/part-${tag}-`;
    await timed(`export ${mart.name}`, () =>
      warehouse.unloadParquet(mart, lake.urlOf(prefix)!, kmsKeyId ? { kmsKeyId } : {}),
    );
    unloaded.push({ mart, files: await unloadedFiles(lake, mart, prefix) });
  }
  // The columns come from the Parquet Redshift wrote (one file of a mart is enough: all have its columns).
  const described = await describeParquet(
    await lake.localPaths(unloaded.flatMap(({ files }) => files.slice(0, 1))),
  );
  let next = 0;
  return unloaded.map(({ mart, files }) => ({
    mart,
    files,
    summary: {
      columns: files.length ? described[next++]!.columns : [],
      rows: files.reduce((sum, file) => sum + (file.numRecords ?? 0), 0),
    },
  }));
}

async function unloadedFiles(lake: Lake, mart: Relation, prefix: string): Promise<AddedFile[]> {
  const manifestKey = `${prefix}manifest`;
  let manifest: UnloadManifest;
  try {
    manifest = JSON.parse((await lake.store.get(manifestKey)).toString('utf8')) as UnloadManifest;
  } catch (error) {
    throw new PipelineError(
      `the UNLOAD of ${mart.schema}.${mart.name} left no manifest at ${lake.urlOf(manifestKey)}: ${(error as Error).message}`,
    );
  }
  const files: AddedFile[] = [];
  for (const entry of manifest.entries) {
    const key = lake.keyOfUrl(entry.url);
    const size = entry.meta?.content_length ?? (await lake.store.head(key))?.size ?? 0;
    files.push({
      key,
      partitionValues: {},
      size,
      ...(entry.meta?.record_count !== undefined ? { numRecords: entry.meta.record_count } : {}),
    });
  }
  return files;
}
