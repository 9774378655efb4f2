/**
 * How one silver run changes each partition it touches, and the journal steps that do it. A partition holds a
 * base file (`data.parquet`) and, after runs that only added rows to it, one more file per such run
 * (`delta-<ingest date>-<run>.parquet`), at most MAX_PARTITION_FILES in all:
 *  - a partition that loses a row (a version replaced in place, or moved to another partition) is rewritten:
 *    all its files merged, minus the ids being written, plus the winners, into a new `data.parquet`;
 *  - a partition that only gains rows (late arrivals, new ids) gets them as one new file, so a few late rows
 *    for an old day never rewrite that day (the cost of a day does not grow with the history behind it);
 *  - a partition that already holds MAX_PARTITION_FILES files is rewritten (compacted) instead.
 * Either way a run writes one file per partition it touches.
 *
 * @example
 *   const writes = await planPartitionWrites(lake, touched);
 *   const steps = await partitionSteps(db, stagedSilverDir, writes, deltaFileName(ingestDate, runTag));
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { IsoDate } from '../core/dates.ts';
import { PipelineError } from '../core/errors.ts';
import type { LakeLayout } from '../lake/lake-layout.ts';
import type { JournalStep } from './commit-journal.ts';
import { sqlLiteral as sql } from './sql-template.ts';

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

/** The existing files the write must merge: those of the partitions being rewritten. */
export function filesToMerge(writes: PartitionWrite[]): string[] {
  return writes.filter((write) => write.mode === 'rewrite').flatMap((write) => write.files);
}

/** The name of the file a run adds to a partition it only adds rows to. */
export function deltaFileName(ingestDate: IsoDate, runTag: string): string {
  return `delta-${ingestDate}-${runTag}.parquet`;
}

/**
 * The journal steps that put the staged partitions (`<stage>/event_date=…/merchant_category=…/`) in place. A
 * rewrite moves its new base file in first and then deletes the other files, so a crash between the two is
 * finished by replaying the journal; a partition whose every row moved away loses all its files.
 */
export async function partitionSteps(
  db: DuckDBConnection,
  silverStage: string,
  writes: PartitionWrite[],
  deltaName: string,
): Promise<JournalStep[]> {
  const steps: JournalStep[] = [];
  for (const write of writes) {
    const { eventDate, merchantCategory } = write.partition;
    const staged = join(silverStage, `event_date=${eventDate}`, `merchant_category=${merchantCategory}`);
    const stagedFiles = existsSync(staged)
      ? (await readdir(staged)).filter((name) => name.endsWith('.parquet')).map((name) => join(staged, name))
      : [];
    if (stagedFiles.length === 0) {
      if (write.mode === 'add')
        throw new PipelineError(`silver staged no file for ${relative(silverStage, staged)}`);
      for (const file of write.files) steps.push({ kind: 'delete', path: file });
      continue;
    }
    const from = stagedFiles.length === 1 ? stagedFiles[0]! : await mergeFiles(db, staged, stagedFiles);
    if (write.mode === 'add') {
      const name = write.files.length === 0 ? DATA_FILE : deltaName;
      steps.push({ kind: 'move', from, to: join(write.dir, name) });
      continue;
    }
    steps.push({ kind: 'move', from, to: join(write.dir, DATA_FILE) });
    for (const file of write.files) {
      if (basename(file) !== DATA_FILE) steps.push({ kind: 'delete', path: file });
    }
  }
  return steps;
}

/**
 * DuckDB may split a partition over several files when it has to close writers (many partitions at once);
 * a run writes one file per partition, so they are merged.
 */
async function mergeFiles(db: DuckDBConnection, dir: string, files: string[]): Promise<string> {
  const merged = join(dir, 'merged.parquet.tmp');
  await db.run(
    `COPY (SELECT * FROM read_parquet(${sql(files)}) ORDER BY transaction_id) TO ${sql(merged)} (FORMAT parquet, COMPRESSION zstd)`,
  );
  return merged;
}
