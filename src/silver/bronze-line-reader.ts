/**
 * Loads bronze files into the `bronze_lines` table (file_no, line_no, raw, undecodable) as text lines, so
 * records are parsed one line at a time and one bad line can never fail its file (DESIGN.md §5.7).
 * The fast path is DuckDB's own parallel reader; a file it refuses (invalid UTF-8, stray control characters)
 * is read again by a streaming line reader in Node, which keeps every line. A file neither can read (a corrupt
 * gzip) fails the run with the file named.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { DuckDBConnection } from '@duckdb/node-api';
import { PipelineError } from '../core/errors.ts';
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
}

export async function createBronzeLinesTable(connection: DuckDBConnection): Promise<void> {
  await connection.run(
    'CREATE OR REPLACE TEMP TABLE bronze_lines (file_no INTEGER, line_no BIGINT, raw VARCHAR, undecodable BOOLEAN)',
  );
}

export async function loadBronzeLines(connection: DuckDBConnection, file: BronzeFile): Promise<void> {
  try {
    await connection.run(
      renderSql('read-lines', {
        file_no: file.fileNo,
        path: file.path,
        compression: file.gzip ? 'gzip' : 'none',
      }),
    );
    return;
  } catch {
    // Fall through to the tolerant reader; it either reads every line or names the file in its error.
  }
  try {
    await connection.run(`DELETE FROM bronze_lines WHERE file_no = ${file.fileNo}`);
    await appendLinesWithNode(connection, file);
  } catch (error) {
    throw new PipelineError(`bronze file ${file.sourceFile} cannot be read: ${(error as Error).message}`);
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lossyUtf8 = new TextDecoder('utf-8');

/** Splits on LF by bytes (not readline) so a line of invalid UTF-8 is kept and flagged instead of silently altered. */
async function appendLinesWithNode(connection: DuckDBConnection, file: BronzeFile): Promise<void> {
  const appender = await connection.createAppender('bronze_lines');
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
