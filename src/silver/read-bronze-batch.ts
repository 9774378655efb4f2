/**
 * Steps 1–4 of a silver run (README "How it works"): every bronze file of the partition, one at a time, is read
 * as lines, parsed, checked against the record contract, its rejected records put in `quarantine_rows` and its
 * valid ones in `batch_rows`. Only one file's lines and typed records are held at once, and its lines no longer
 * while the valid rows are built.
 */
import type { ResolvedConfig } from '../config/load-config.ts';
import type { IsoDate } from '../core/dates.ts';
import { repeatedContractFields } from '../core/record-contract.ts';
import { assertNoRecordsLost } from './bronze-files.ts';
import type { BronzeFile } from './bronze-line-reader.ts';
import { withBronzeLines } from './bronze-line-reader.ts';
import { csvRecords } from './csv-records.ts';
import { csvFieldColumns, jsonRecordSchema } from './record-fields.ts';
import type { SilverSession } from './silver-session.ts';

export interface BronzeBatchContext {
  config: ResolvedConfig;
  ingestDate: IsoDate;
  runId: string;
  /** Only the records of this chunk of each file (a silver check job); default the whole files. */
  chunk?: BronzeChunk;
}

/**
 * One of `of` interleaved chunks of every bronze file (index from 0): record k of a file (its first line k) is in
 * chunk (k - 1) mod `of`. A CSV file's header line is read by every chunk.
 */
export interface BronzeChunk {
  index: number;
  of: number;
}

/**
 * Returns the records parsed per file (lake key → count). Whole files are checked against their manifest's count
 * here; a chunk's counts are summed with the other chunks' by the commit (run-silver.ts).
 */
export async function readBronzeBatch(
  session: SilverSession,
  files: BronzeFile[],
  context: BronzeBatchContext,
): Promise<Map<string, number>> {
  const { config, ingestDate, runId, chunk } = context;
  const parsedByFile = new Map<string, number>();
  const checkParams = {
    currencies: config.currencies,
    reporting_currency: config.reporting_currency,
    ingest_date: ingestDate,
    future_tolerance_seconds: Math.round(config.silver.future_tolerance_hours * 3600),
    earliest_event_date: config.silver.earliest_event_date,
  } as const;
  for (const file of files) {
    await session.timed(`read ${file.sourceFile}`, () =>
      withBronzeLines(session.db, file, async (fileLines, releaseLines) => {
        // A CSV record may span lines (a quoted line break); JSON Lines are one record per line.
        const records =
          file.format === 'csv'
            ? await csvRecords(session.db, fileLines)
            : { relation: fileLines, release: async () => undefined };
        const lines = chunk ? inChunk(records.relation, file, chunk) : records.relation;
        const linesSql = { kind: 'sql', text: lines } as const;
        if (file.format === 'jsonl') {
          await session.run('parse-jsonl', { lines: linesSql, schema: jsonRecordSchema() });
        } else {
          const header = await readCsvHeader(session, lines);
          await session.run('parse-csv', {
            lines: linesSql,
            header_count: header.length,
            field_columns: { kind: 'sql', text: csvFieldColumns(header) },
            duplicate_header: repeatedContractFields(header).length > 0,
          });
        }
        await session.run('check-records', { ...checkParams, lines: linesSql });
        const [parsed] = await session.rows<{ n: bigint }>('SELECT count(*) AS n FROM parsed');
        parsedByFile.set(file.sourceFile, Number(parsed!.n));
        if (!chunk) assertNoRecordsLost(file, Number(parsed!.n));
        await session.run('quarantine-rejected', {
          lines: linesSql,
          ingest_date: ingestDate,
          run_id: runId,
          source_file: file.sourceFile,
        });
        await records.release();
        await releaseLines();
        await session.run('keep-valid', { ingest_date: ingestDate, file_no: file.fileNo });
      }),
    );
  }
  return parsedByFile;
}

/** The records of `chunk` of a file's records relation (plus a CSV file's header, which parse-csv.sql skips). */
function inChunk(records: string, file: BronzeFile, chunk: BronzeChunk): string {
  const header = file.format === 'csv' ? 'line_no = 1 OR ' : '';
  return `SELECT * FROM (${records}) WHERE ${header}(line_no - 1) % ${chunk.of} = ${chunk.index}`;
}

async function readCsvHeader(session: SilverSession, lines: string): Promise<string[]> {
  const [header] = await session.rows<{ fields: string[] }>(
    `SELECT list_transform(regexp_extract_all(raw, '(?:^|,)("(?:[^"]|"")*"|[^,"]*)', 1), f -> csv_unquote(f)) AS fields
     FROM (${lines}) WHERE line_no = 1`,
  );
  return header?.fields ?? [];
}
