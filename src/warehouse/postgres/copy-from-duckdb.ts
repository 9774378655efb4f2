/**
 * Streams rows that DuckDB reads (Parquet, JSON) into PostgreSQL with `COPY … FROM STDIN (FORMAT csv)`.
 * Nothing is converted value by value in JavaScript: DuckDB's parallel CSV writer renders each batch of files
 * (`COPY (SELECT …) TO 'batch.csv'`), and Node streams the finished file into PostgreSQL in 1 MB chunks while
 * DuckDB already renders the next batch — so DuckDB's work overlaps PostgreSQL's, and at most two batch files
 * exist on disk at a time.
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export interface SourceColumn {
  name: string;
  /** DuckDB type as DESCRIBE prints it. */
  type: string;
}

const quoteDuck = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

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

/** Expands globs to the files they match (sorted), with DuckDB's glob() so S3 paths work the same way. */
export async function expandGlobs(duck: DuckDBConnection, globs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const pattern of globs) {
    const result = await duck.runAndReadAll(`select file from glob(${literal(pattern)}) order by file`);
    files.push(...result.getRowObjects().map((row) => String(row['file'])));
  }
  return files;
}

/** Splits files into about `batches` groups of neighbouring files. */
export function batchFiles(files: string[], batches = 8): string[][] {
  const size = Math.max(1, Math.ceil(files.length / batches));
  const groups: string[][] = [];
  for (let start = 0; start < files.length; start += size) groups.push(files.slice(start, start + size));
  return groups;
}

/**
 * Copies the rows of `files` into `targetSql` (a quoted PostgreSQL relation) with the given `columns` (a
 * batch missing a column, from an older file schema, sends NULL for it); returns the row count. With several
 * `clients` (each its own session, used for a table nobody reads yet), batches go round-robin to them so
 * PostgreSQL parses CSV on several backends at once; with one client everything stays in its transaction.
 */
export async function copyFromDuckdb(
  clients: PoolClient[],
  duck: DuckDBConnection,
  files: string[],
  readerFor: ReaderFor,
  targetSql: string,
  columns: SourceColumn[],
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'fintech-copy-'));
  const columnList = columns.map((column) => quoteDuck(column.name)).join(', ');
  let rows = 0;
  const copying: Promise<void>[] = clients.map(() => Promise.resolve());
  try {
    for (const [index, batch] of batchFiles(files, 8 * clients.length).entries()) {
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
      // PostgreSQL takes earlier batches while DuckDB renders this one; a failure stops at the next await.
      const slot = index % clients.length;
      await copying[slot];
      copying[slot] = pipeline(
        createReadStream(file, { highWaterMark: 1 << 20 }),
        clients[slot]!.query(copyFrom(`copy ${targetSql} (${columnList}) from stdin with (format csv)`)),
      ).then(() => rmSync(file, { force: true }));
    }
    await Promise.all(copying);
    return rows;
  } finally {
    await Promise.allSettled(copying);
    rmSync(dir, { recursive: true, force: true });
  }
}
