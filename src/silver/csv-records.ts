/**
 * A CSV file's records as RFC 4180 reads them: a quoted field may hold line breaks, so one record may span
 * several physical lines. The bronze line reader gives lines; this joins the lines of such a record
 * (sql/csv-records.sql) so it is parsed, counted and quarantined as one record, as ingest counted it for the
 * manifest. A file without such a record (the usual CSV) is used as it is, at the cost of one scan.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { renderSql } from './sql-template.ts';

export interface CsvRecords {
  /** A SQL relation shaped like the lines (file_no, line_no, raw, undecodable), one row per record. */
  relation: string;
  /** Drops what was built for the records (nothing for a file without multi-line records). */
  release(): Promise<void>;
}

export async function csvRecords(connection: DuckDBConnection, lines: string): Promise<CsvRecords> {
  const reader = await connection.runAndReadAll(
    `SELECT coalesce(bool_or((strlen(raw) - strlen(replace(raw, '"', ''))) % 2 = 1), FALSE) AS spans
     FROM (${lines}) WHERE contains(raw, '"')`,
  );
  const [{ spans }] = reader.getRowObjectsJS() as [{ spans: boolean }];
  if (!spans) return { relation: lines, release: async () => undefined };
  await connection.run(renderSql('csv-records', { lines: { kind: 'sql', text: lines } }));
  return {
    relation: 'SELECT * FROM csv_records',
    release: async () => {
      await connection.run('DROP TABLE IF EXISTS csv_records');
    },
  };
}
