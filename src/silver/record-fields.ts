import { standardSqlType } from '../core/column-type.ts';
import { OPTIONAL_TRANSACTION_FIELDS, REQUIRED_TRANSACTION_FIELDS } from '../core/record-contract.ts';
import { SILVER_TRANSACTIONS } from './silver-contract.ts';

/** The bronze transaction fields silver reads (DESIGN.md §3), in the column order of `text_records`. */
export const RECORD_FIELDS = [...REQUIRED_TRANSACTION_FIELDS, ...OPTIONAL_TRANSACTION_FIELDS] as const;

/** json_transform schema: every field as its JSON text, so typing and its reason codes stay in one place. */
export function jsonRecordSchema(): string {
  return JSON.stringify(Object.fromEntries(RECORD_FIELDS.map((field) => [field, 'VARCHAR'])));
}

/** CSV: each field's select expression from the header's positions (1-based); absent columns are NULL. */
export function csvFieldColumns(header: string[]): string {
  const position = new Map(header.map((name, index) => [name.trim().toLowerCase(), index + 1]));
  return RECORD_FIELDS.map((field) => {
    const index = position.get(field);
    return index === undefined
      ? `CAST(NULL AS VARCHAR) AS ${field}`
      : `CASE WHEN NOT malformed THEN csv_unquote(fields[${index}]) END AS ${field}`;
  }).join(', ');
}

/**
 * The columns of `batch_rows` (sql/setup-session.sql): the silver transactions contract, but for the bronze
 * file's number in place of its name (`source_file_of(file_no)` turns it back), which the batch holds instead.
 */
export function batchRowColumns(): string {
  return SILVER_TRANSACTIONS.columns
    .map((column) =>
      column.name === 'source_file' ? 'file_no INTEGER' : `${column.name} ${standardSqlType(column.type)}`,
    )
    .join(', ');
}
