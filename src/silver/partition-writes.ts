/**
 * How one silver run changes each partition it touches. A partition holds a base file (`data-<run>.parquet`) and,
 * after runs that only added rows to it, one more file per such run (`delta-<ingest date>-<run>.parquet`), at most
 * MAX_PARTITION_FILES in all, as its committed snapshot lists them:
 *  - a partition that loses a row (a version replaced in place, or moved to another partition) is rewritten:
 *    all its files merged, minus the ids whose row a winner replaces, plus its winners, into a new base file
 *    that replaces them all;
 *  - a partition that only gains rows (late arrivals, new ids) gets them as one new file, so a few late rows
 *    for an old day never rewrite that day (the cost of a day does not grow with the history behind it);
 *  - a partition that already holds MAX_PARTITION_FILES files is rewritten (compacted) instead.
 * Either way a run writes one file per partition it touches, under a name never used before.
 *
 * @example
 *   const writes = planPartitionWrites(silverSnapshot, touched);
 *   const outcomes = await partitionOutcomes(connections, stages, writes, names, (files) => lake.localPaths(files));
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { IsoDate } from '../core/dates.ts';
import { PipelineError } from '../core/errors.ts';
import type { LiveFile, TableSnapshot } from '../lake/commit-log/table-snapshot.ts';
import { silverPartitionPath } from '../lake/lake-layout.ts';
import type { SilverSession } from './silver-session.ts';
import { renderSql, sqlLiteral as sql } from './sql-template.ts';

/** Files a partition may hold before the next write that touches it compacts them into one. */
export const MAX_PARTITION_FILES = 8;

export interface SilverPartitionRef {
  eventDate: IsoDate;
  merchantCategory: string;
}

export interface TouchedPartition extends SilverPartitionRef {
  /** A version of an id leaves this partition (replaced in place or moved away). */
  losesRows: boolean;
}

export interface PartitionWrite {
  partition: SilverPartitionRef;
  /** The partition's live files now (its committed snapshot), sorted by key. */
  files: LiveFile[];
  /** rewrite: merge its files with the batch into a new base file; add: the batch's rows as one more file. */
  mode: 'rewrite' | 'add';
}

/** What a run does to one partition: the work file it adds (if any rows are left) and the live files it drops. */
export interface PartitionOutcome {
  partition: SilverPartitionRef;
  add?: { path: string; name: string };
  remove: LiveFile[];
}

/** Names of the new files: a partition's new base file, and the file a run adds to a partition. */
export interface PartitionFileNames {
  base: string;
  delta: string;
}

/** The names a run gives its files; `runTag` makes them unique (never reused by another run or attempt). */
export function partitionFileNames(ingestDate: IsoDate, runTag: string): PartitionFileNames {
  return { base: `data-${runTag}.parquet`, delta: `delta-${ingestDate}-${runTag}.parquet` };
}

/** The partitions a run's winners go to or its replaced versions leave (classify-versions.sql), sorted. */
export async function readTouchedPartitions(session: SilverSession): Promise<TouchedPartition[]> {
  const rows = await session.rows<{ event_date: string; merchant_category: string; loses_rows: boolean }>(
    "SELECT strftime(event_date, '%Y-%m-%d') AS event_date, merchant_category, loses_rows FROM touched_partitions ORDER BY 1, 2",
  );
  return rows.map((row) => ({
    eventDate: row.event_date as IsoDate,
    merchantCategory: row.merchant_category,
    losesRows: row.loses_rows,
  }));
}

export function planPartitionWrites(silver: TableSnapshot, touched: TouchedPartition[]): PartitionWrite[] {
  return touched.map(({ losesRows, ...partition }) => {
    const files = silver.files({
      event_date: partition.eventDate,
      merchant_category: partition.merchantCategory,
    });
    const mode = losesRows || files.length >= MAX_PARTITION_FILES ? 'rewrite' : 'add';
    return { partition, files, mode } satisfies PartitionWrite;
  });
}

/**
 * What each staged partition (`<stage>/event_date=…/merchant_category=…/`) becomes. A partition being rewritten
 * is first merged into one file under `rewriteStage` (rewrite-partition.sql: what it held minus the replaced ids,
 * plus its staged winners), one partition per connection at a time, on all the `connections` given; its live
 * files are read through `localPaths`. A partition whose every row moved away loses all its files.
 */
export async function partitionOutcomes(
  connections: DuckDBConnection[],
  stages: { silver: string; rewrite: string },
  writes: PartitionWrite[],
  names: PartitionFileNames,
  localPaths: (files: LiveFile[]) => Promise<string[]>,
): Promise<PartitionOutcome[]> {
  const planned = await Promise.all(
    writes.map(async (write) => ({ write, staged: await stagedFiles(stages.silver, write.partition) })),
  );
  const rewrites = planned.filter(({ write }) => write.mode === 'rewrite' && write.files.length > 0);
  const existing = await localPaths(rewrites.flatMap(({ write }) => write.files));
  const pathsOf = new Map<PartitionWrite, string[]>();
  let next = 0;
  for (const { write } of rewrites) {
    pathsOf.set(write, existing.slice(next, next + write.files.length));
    next += write.files.length;
  }
  const rewritten = await inParallel(connections, rewrites, (db, { write, staged }) =>
    rewritePartition(db, write, pathsOf.get(write)!, staged, stages.rewrite),
  );
  const outcomes: PartitionOutcome[] = [];
  for (const item of planned) {
    const { write, staged } = item;
    const from = rewritten.get(item);
    if (from === null || (from === undefined && staged.length === 0)) {
      if (write.mode === 'add')
        throw new PipelineError(`silver staged no file for ${partitionPath(write.partition)}`);
      outcomes.push({ partition: write.partition, remove: write.files });
      continue;
    }
    const source = from ?? (staged.length === 1 ? staged[0]! : await mergeFiles(connections[0]!, staged));
    if (write.mode === 'add') {
      const name = write.files.length === 0 ? names.base : names.delta;
      outcomes.push({ partition: write.partition, add: { path: source, name }, remove: [] });
    } else {
      outcomes.push({
        partition: write.partition,
        add: { path: source, name: names.base },
        remove: write.files,
      });
    }
  }
  return outcomes;
}

function partitionPath(partition: SilverPartitionRef): string {
  return silverPartitionPath(partition.eventDate, partition.merchantCategory);
}

/** The files write-silver.sql staged for a partition (none when the run has no winner for it). */
async function stagedFiles(silverStage: string, partition: SilverPartitionRef): Promise<string[]> {
  const staged = join(silverStage, partitionPath(partition));
  return existsSync(staged)
    ? (await readdir(staged)).filter((name) => name.endsWith('.parquet')).map((name) => join(staged, name))
    : [];
}

/**
 * Merges a partition's files (at `existingPaths`) minus the replaced ids with its staged winners into one file
 * under `rewriteStage`; null when no row is left (the partition is then emptied).
 */
async function rewritePartition(
  db: DuckDBConnection,
  write: PartitionWrite,
  existingPaths: string[],
  staged: string[],
  rewriteStage: string,
): Promise<string | null> {
  const dir = join(rewriteStage, partitionPath(write.partition));
  await mkdir(dir, { recursive: true });
  const target = join(dir, 'rewritten.parquet');
  const stagedSource = staged.length
    ? `read_parquet(${sql(staged)}, hive_partitioning = false)`
    : `(SELECT * FROM read_parquet(${sql(existingPaths)}, hive_partitioning = false) WHERE FALSE)`;
  const result = await db.runAndReadAll(
    renderSql('rewrite-partition', {
      existing_files: existingPaths,
      staged_source: { kind: 'sql', text: stagedSource },
      target,
    }),
  );
  // COPY answers with the number of rows it wrote.
  if (Number(result.getRows()[0]?.[0] ?? 0) > 0) return target;
  await rm(target, { force: true });
  return null;
}

/**
 * Runs `work` for every item, each connection taking the next item when it is done with one: DuckDB writes a
 * single Parquet file on about one thread, so two small rewrites at once keep both cores busy. Written by hand
 * (a dozen lines) rather than adding a pool library for it.
 */
async function inParallel<T, R>(
  connections: DuckDBConnection[],
  items: T[],
  work: (db: DuckDBConnection, item: T) => Promise<R>,
): Promise<Map<T, R>> {
  const results = new Map<T, R>();
  let next = 0;
  let failed = false;
  // Settled, not Promise.all: after a failure the other connections finish the statement they are in and take
  // no more, so nothing is still writing when the caller cleans up and closes them.
  const workers = await Promise.allSettled(
    connections.map(async (db) => {
      while (!failed && next < items.length) {
        const item = items[next++]!;
        try {
          results.set(item, await work(db, item));
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    }),
  );
  const failure = workers.find((worker) => worker.status === 'rejected');
  if (failure) throw failure.reason;
  return results;
}

/**
 * DuckDB may split a partition over several files when it has to close writers (many partitions at once);
 * a run writes one file per partition, so they are merged.
 */
async function mergeFiles(db: DuckDBConnection, files: string[]): Promise<string> {
  const merged = join(dirname(files[0]!), 'merged.parquet.tmp');
  await db.run(
    `COPY (SELECT * FROM read_parquet(${sql(files)}) ORDER BY transaction_id) TO ${sql(merged)} (FORMAT parquet, COMPRESSION zstd)`,
  );
  return merged;
}
