/**
 * Reads bronze files as text lines, so records are parsed one line at a time and one bad line can never fail
 * its file (DESIGN.md §5.7). The fast path is DuckDB's own reader, streamed straight into the parse; a file it
 * refuses (invalid UTF-8, stray control characters) is read again by a streaming line reader in Node, which
 * keeps every line. A file neither can read (a corrupt gzip) fails the run with the file named.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { DuckDBConnection } from '@duckdb/node-api';
import { PermanentError } from '../core/errors.ts';
import { renderSql } from './sql-template.ts';

export interface BronzeFile {
  /** Position of the file within its partition (file order decides which of two versions is newer). */
  fileNo: number;
  /** Absolute path. */
  path: string;
  /** Path relative to the lake root, as stored in silver's source_file. */
  sourceFile: string;
  format: 'jsonl' | 'csv';
  gzip: boolean;
  /** Records the bronze manifest counted in the file when it was written (ingest, generate). */
  manifestRows: number;
}

/**
 * Runs `consume(lines, release)` where `lines` is a SQL relation (file_no, line_no, raw, undecodable) over the
 * file's lines: first DuckDB's reader, and if DuckDB refuses the file, a temp table filled by the Node reader.
 * The lines are dropped when `consume` returns, or earlier when it calls `release()` (the raw text of a large
 * file is the biggest thing a silver run holds; once consume has what it needs from it, the memory is better
 * spent on the rest).
 */
export async function withBronzeLines(
  connection: DuckDBConnection,
  file: BronzeFile,
  consume: (lines: string, release: () => Promise<void>) => Promise<void>,
): Promise<void> {
  let fastPathRead = false;
  try {
    await connection.run(
      renderSql('read-lines', { path: file.path, compression: file.gzip ? 'gzip' : 'none' }),
    );
    fastPathRead = true;
  } catch {
    // A failed statement changed nothing; read the file again with the tolerant reader below.
  } finally {
    // read-lines.sql turns insertion order on for its rowids; everything after it runs without.
    await connection.run('SET preserve_insertion_order = false');
  }
  if (fastPathRead) {
    const release = dropper(connection, 'file_lines');
    await consume(
      `SELECT ${file.fileNo} AS file_no, rowid + 1 AS line_no, raw, FALSE AS undecodable FROM file_lines`,
      release,
    );
    await release();
    return;
  }
  try {
    await connection.run(
      'CREATE OR REPLACE TEMP TABLE node_lines (file_no INTEGER, line_no BIGINT, raw VARCHAR, undecodable BOOLEAN)',
    );
    await appendLinesWithNode(connection, file);
  } catch (error) {
    throw new PermanentError(`bronze file ${file.sourceFile} cannot be read: ${(error as Error).message}`);
  }
  const release = dropper(connection, 'node_lines');
  await consume('SELECT * FROM node_lines', release);
  await release();
}

/** Drops the table when called, and does nothing the second time (consume may have released it already). */
function dropper(connection: DuckDBConnection, table: string): () => Promise<void> {
  return async () => {
    await connection.run(`DROP TABLE IF EXISTS ${table}`);
  };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lossyUtf8 = new TextDecoder('utf-8');

/** Splits on LF by bytes (not readline) so a line of invalid UTF-8 is kept and flagged instead of silently altered. */
async function appendLinesWithNode(connection: DuckDBConnection, file: BronzeFile): Promise<void> {
  const appender = await connection.createAppender('node_lines');
  const raw = createReadStream(file.path);
  const stream = file.gzip ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (error) => stream.destroy(error));
  let lineNo = 0;
  let pending = Buffer.alloc(0);
  const emit = (bytes: Buffer) => {
    lineNo++;
    const withoutCr = bytes.at(-1) === 0x0d ? bytes.subarray(0, -1) : bytes;
    let text: string;
    let undecodable = false;
    try {
      text = strictUtf8.decode(withoutCr);
    } catch {
      text = lossyUtf8.decode(withoutCr);
      undecodable = true;
    }
    appender.appendInteger(file.fileNo);
    appender.appendBigInt(BigInt(lineNo));
    if (text.length === 0) appender.appendNull();
    else appender.appendVarchar(text);
    appender.appendBoolean(undecodable);
    appender.endRow();
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let data = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let newline = data.indexOf(0x0a);
    while (newline !== -1) {
      emit(data.subarray(0, newline));
      data = data.subarray(newline + 1);
      newline = data.indexOf(0x0a);
    }
    pending = Buffer.from(data);
  }
  if (pending.length > 0) emit(pending);
  appender.closeSync();
}
