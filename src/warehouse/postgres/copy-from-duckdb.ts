/**
 * Streams rows that DuckDB reads (Parquet, JSON) into PostgreSQL with `COPY … FROM STDIN (FORMAT csv)`.
 * Nothing is converted value by value in JavaScript: DuckDB's CSV writer renders each batch of files
 * (`COPY (SELECT …) TO 'batch.csv'`), and Node streams the finished files into PostgreSQL in 1 MB chunks, one
 * after the other, while DuckDB renders the next ones — so DuckDB's work overlaps PostgreSQL's, and only a
 * few batch files exist on disk at a time. (Not a named pipe: DuckDB and Node then hand each other small
 * pieces, which costs far more CPU.)
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { interruptOnAbort } from '../../core/interrupt-on-abort.ts';
import { statementSignal } from '../statement-signal.ts';

export interface SourceColumn {
  name: string;
  /** DuckDB type as DESCRIBE prints it. */
  type: string;
}

const quoteDuck = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * An in-memory DuckDB that reads files for PostgreSQL (loads, exports); `threads` caps its threads. Its
 * statements are interrupted once the calling work's signal aborts (statement-signal.ts), until it is closed.
 */
export async function openDuckdbReader(
  threads?: number,
): Promise<{ connection: DuckDBConnection; close(): void }> {
  const signal = statementSignal();
  signal?.throwIfAborted();
  const instance = await DuckDBInstance.create(':memory:', threads ? { threads: String(threads) } : {});
  const connection = await instance.connect();
  const interrupting = signal ? interruptOnAbort(signal, () => connection.interrupt()) : undefined;
  return {
    connection,
    close: () => {
      interrupting?.stop();
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** How DuckDB reads a list of files of one format. */
export type ReaderFor = (files: string[]) => string;

export const parquetReader: ReaderFor = (files) =>
  `read_parquet([${files.map(literal).join(', ')}], union_by_name = true)`;
export const jsonReader: ReaderFor = (files) =>
  `read_json_auto([${files.map(literal).join(', ')}], union_by_name = true)`;

/** The columns of a DuckDB table function call such as `read_parquet([...], union_by_name = true)`. */
export async function describeSource(duck: DuckDBConnection, reader: string): Promise<SourceColumn[]> {
  const result = await duck.runAndReadAll(`describe select * from ${reader}`);
  return result
    .getRowObjects()
    .map((row) => ({ name: String(row['column_name']), type: String(row['column_type']) }));
}

/**
 * Expands globs to the files they match (sorted), with DuckDB's glob() so S3 paths work the same way. A path
 * without a wildcard is taken as it is: the lake names exact files (a commit's snapshot), often thousands.
 */
export async function expandGlobs(duck: DuckDBConnection, globs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const pattern of globs) {
    if (!/[*?[]/.test(pattern)) {
      files.push(pattern);
      continue;
    }
    const result = await duck.runAndReadAll(`select file from glob(${literal(pattern)}) order by file`);
    files.push(...result.getRowObjects().map((row) => String(row['file'])));
  }
  return files;
}

export interface CopyOptions {
  /**
   * `COPY … FREEZE`: rows are written frozen and their pages all-visible, so the key build and ANALYZE that
   * follow do not rewrite every page to set hint bits. PostgreSQL allows it only into a table created (or
   * truncated) in the client's open transaction.
   */
  freeze?: boolean;
}

/** How many rendered batches may wait on disk for PostgreSQL. */
const RENDER_AHEAD = 3;

/**
 * Splits files into groups of neighbouring files that double in size up to an eighth of all files: the first
 * batch is small, so PostgreSQL starts early, and the later ones are large, since each DuckDB query costs a
 * little on its own.
 */
export function batchFiles(files: string[]): string[][] {
  const largest = Math.max(1, Math.ceil(files.length / 8));
  const groups: string[][] = [];
  for (let start = 0, size = 1; start < files.length; start += size, size = Math.min(2 * size, largest)) {
    groups.push(files.slice(start, start + size));
  }
  return groups;
}

/**
 * Copies the rows of `files` into `targetSql` (a quoted PostgreSQL relation) with the given `columns` (a
 * batch missing a column, from an older file schema, sends NULL for it); returns the row count. Everything
 * goes through `client`, inside whatever transaction it has open.
 */
export async function copyFromDuckdb(
  client: PoolClient,
  duck: DuckDBConnection,
  files: string[],
  readerFor: ReaderFor,
  targetSql: string,
  columns: SourceColumn[],
  options: CopyOptions = {},
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'fintech-copy-'));
  const columnList = columns.map((column) => quoteDuck(column.name)).join(', ');
  const copySql = `copy ${targetSql} (${columnList}) from stdin with (format csv${options.freeze ? ', freeze' : ''})`;
  let rows = 0;
  // Each batch's COPY starts when the previous one ends; `copied[i]` settles when batch i is in.
  let copying: Promise<void> = Promise.resolve();
  const copied: Promise<void>[] = [];
  try {
    for (const [index, batch] of batchFiles(files).entries()) {
      // DuckDB renders up to RENDER_AHEAD batches ahead of PostgreSQL, so a slow batch on a busy machine
      // does not leave PostgreSQL waiting; a failed COPY stops the rendering here.
      if (index >= RENDER_AHEAD) await copied[index - RENDER_AHEAD];
      const reader = readerFor(batch);
      const present = new Set((await describeSource(duck, reader)).map((column) => column.name));
      const select = columns
        .map((column) =>
          present.has(column.name) ? quoteDuck(column.name) : `null as ${quoteDuck(column.name)}`,
        )
        .join(', ');
      const file = join(dir, `batch-${index}.csv`);
      const written = await duck.run(
        `copy (select ${select} from ${reader}) to ${literal(file)} (format csv, header false)`,
      );
      rows += Number(written.rowsChanged);
      copying = copying
        .then(() =>
          pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), client.query(copyFrom(copySql))),
        )
        .then(() => rmSync(file, { force: true }));
      // Awaited later (or never, after an earlier failure): mark handled so Node does not abort.
      copying.catch(() => undefined);
      copied.push(copying);
    }
    await copying;
    return rows;
  } finally {
    await copying.catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
