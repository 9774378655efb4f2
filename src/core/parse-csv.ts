/**
 * Small reference CSVs (seeds, the MCC list) as a header and rows of strings, through csv-parse (RFC 4180:
 * quoted fields, doubled quotes, newlines inside quotes, CRLF, a BOM). Lines starting with `#` are comments
 * (where a seed says it came from). Bulk data never goes through here: DuckDB reads it.
 */
import { parse } from 'csv-parse/sync';

export function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const records = parse(text, {
    bom: true,
    comment: '#',
    comment_no_infix: true,
    skip_empty_lines: true,
    relax_column_count: true,
    // seeds edited on different systems may mix line endings
    record_delimiter: ['\r\n', '\n', '\r'],
  }) as string[][];
  const [header = [], ...rows] = records;
  return { header, rows };
}
