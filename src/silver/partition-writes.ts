/**
 * How one silver run changes each partition it touches, and the journal steps that do it. A partition holds a
 * base file (`data.parquet`) and, after runs that only added rows to it, one more file per such run
 * (`delta-<ingest date>-<run>.parquet`), at most MAX_PARTITION_FILES in all:
 *  - a partition that loses a row (a version replaced in place, or moved to another partition) is rewritten:
 *    all its files merged, minus the ids whose row a winner replaces, plus its winners, into a new `data.parquet`;
 *  - a partition that only gains rows (late arrivals, new ids) gets them as one new file, so a few late rows
 *    for an old day never rewrite that day (the cost of a day does not grow with the history behind it);
 *  - a partition that already holds MAX_PARTITION_FILES files is rewritten (compacted) instead.
 * Either way a run writes one file per partition it touches.
 *
 * @example
 *   const writes = await planPartitionWrites(lake, touched);
 *   const steps = await partitionSteps(connections, { silver, rewrite }, writes, deltaFileName(ingestDate, runTag));
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { IsoDate } from '../core/dates.ts';
import { PipelineError } from '../core/errors.ts';
import { type LakeLayout, silverPartitionPath } from '../lake/lake-layout.ts';
import type { JournalStep } from './commit-journal.ts';
import type { SilverSession } from './silver-session.ts';
import { renderSql, sqlLiteral as sql } from './sql-template.ts';

/** The base file of a silver partition, replaced by rename when the partition is rewritten. */
export const DATA_FILE = 'data.parquet';

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
  /** The partition's folder in the lake. */
  dir: string;
  /** The Parquet files it holds now, sorted. */
  files: string[];
  /** rewrite: merge its files with the batch into a new base file; add: the batch's rows as one more file. */
  mode: 'rewrite' | 'add';
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

export async function planPartitionWrites(
  lake: LakeLayout,
  touched: TouchedPartition[],
): Promise<PartitionWrite[]> {
  return Promise.all(
    touched.map(async ({ losesRows, ...partition }) => {
      const dir = lake.silverPartition(partition.eventDate, partition.merchantCategory);
      const files = existsSync(dir)
        ? (await readdir(dir))
            .filter((name) => name.endsWith('.parquet'))
            .sort()
            .map((name) => join(dir, name))
        : [];
      const mode = losesRows || files.length >= MAX_PARTITION_FILES ? 'rewrite' : 'add';
      return { partition, dir, files, mode } satisfies PartitionWrite;
    }),
  );
}

/** The name of the file a run adds to a partition it only adds rows to. */
export function deltaFileName(ingestDate: IsoDate, runTag: string): string {
  return `delta-${ingestDate}-${runTag}.parquet`;
}

/**
 * The journal steps that put the staged partitions (`<stage>/event_date=…/merchant_category=…/`) in place.
 * A partition being rewritten is first merged into one file under `rewriteStage` (rewrite-partition.sql: what
 * it held minus the replaced ids, plus its staged winners), one partition per connection at a time, on all the
 * `connections` given. A rewrite moves its new base file in first and then deletes the other files, so a crash
 * between the two is finished by replaying the journal; a partition whose every row moved away loses all its
 * files.
 */
export async function partitionSteps(
  connections: DuckDBConnection[],
  stages: { silver: string; rewrite: string },
  writes: PartitionWrite[],
  deltaName: string,
): Promise<JournalStep[]> {
  const planned = await Promise.all(
    writes.map(async (write) => ({ write, staged: await stagedFiles(stages.silver, write.partition) })),
  );
  const rewritten = await inParallel(
    connections,
    planned.filter(({ write }) => write.mode === 'rewrite' && write.files.length > 0),
    (db, { write, staged }) => rewritePartition(db, write, staged, stages.rewrite),
  );
  const steps: JournalStep[] = [];
  for (const item of planned) {
    const { write, staged } = item;
    const from = rewritten.get(item);
    if (from === null || (from === undefined && staged.length === 0)) {
      if (write.mode === 'add')
        throw new PipelineError(`silver staged no file for ${partitionPath(write.partition)}`);
      for (const file of write.files) steps.push({ kind: 'delete', path: file });
      continue;
    }
    const source = from ?? (staged.length === 1 ? staged[0]! : await mergeFiles(connections[0]!, staged));
    if (write.mode === 'add') {
      const name = write.files.length === 0 ? DATA_FILE : deltaName;
      steps.push({ kind: 'move', from: source, to: join(write.dir, name) });
      continue;
    }
    steps.push({ kind: 'move', from: source, to: join(write.dir, DATA_FILE) });
    for (const file of write.files) {
      if (basename(file) !== DATA_FILE) steps.push({ kind: 'delete', path: file });
    }
  }
  return steps;
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
 * Merges a partition's files minus the replaced ids with its staged winners into one file under `rewriteStage`;
 * null when no row is left (the partition is then deleted).
 */
async function rewritePartition(
  db: DuckDBConnection,
  write: PartitionWrite,
  staged: string[],
  rewriteStage: string,
): Promise<string | null> {
  const dir = join(rewriteStage, partitionPath(write.partition));
  await mkdir(dir, { recursive: true });
  const target = join(dir, DATA_FILE);
  const stagedSource = staged.length
    ? `read_parquet(${sql(staged)}, hive_partitioning = false)`
    : `(SELECT * FROM read_parquet(${sql(write.files)}, hive_partitioning = false) WHERE FALSE)`;
  const result = await db.runAndReadAll(
    renderSql('rewrite-partition', {
      existing_files: write.files,
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
