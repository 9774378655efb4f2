/**
 * The lake tables a silver run commits to, as the commit log declares them (src/lake/commit-log): silver's
 * datasets with the columns of the silver contract, the version index, the quarantine and the ledger. One
 * silver run is one commit over these tables, so a reader sees all of a run or none of it.
 */
import { standardSqlType } from '../core/column-type.ts';
import type { TableDefinition } from '../lake/commit-log/commit-tables.ts';
import type { ColumnDefinition } from '../lake/commit-log/delta-log.ts';
import {
  type BronzeDataset,
  LEDGER_TABLE,
  QUARANTINE_TABLE,
  SILVER_INDEX_TABLE,
  silverTable,
} from '../lake/lake-layout.ts';
import { LEDGER_COLUMNS } from './ledger-entry.ts';
import { SILVER_TRANSACTIONS, type SilverDataset, silverDataset } from './silver-contract.ts';

/** A silver dataset's table: columns from the contract, partitioned as the contract says. */
export function silverTableDefinition(dataset: SilverDataset | BronzeDataset): TableDefinition {
  const contract = typeof dataset === 'string' ? silverDataset(dataset) : dataset;
  return {
    table: silverTable(contract.name),
    partitionColumns:
      contract.name === 'transactions' ? ['event_date', 'merchant_category'] : [contract.partitionColumn],
    columns: contract.columns.map((column) => ({
      name: column.name,
      type: standardSqlType(column.type).toUpperCase(),
    })),
  };
}

const column = (name: string, type: string): ColumnDefinition => ({ name, type });

/** `silver/_index/transactions/ingest_date=D/index-<run>.parquet` (silver-index.ts). */
export const SILVER_INDEX_DEFINITION: TableDefinition = {
  table: SILVER_INDEX_TABLE,
  partitionColumns: ['ingest_date'],
  columns: [
    'transaction_id',
    'event_date',
    'merchant_category',
    'record_hash',
    'ingest_date',
    'source_file',
    'source_line',
  ].map((name) =>
    column(name, silverTableDefinition(SILVER_TRANSACTIONS).columns.find((c) => c.name === name)!.type),
  ),
};

/** `quarantine/transactions/ingest_date=D/quarantine-<run>.parquet` (sql/setup-session.sql: quarantine_rows). */
export const QUARANTINE_DEFINITION: TableDefinition = {
  table: QUARANTINE_TABLE,
  partitionColumns: ['ingest_date'],
  columns: [
    column('run_id', 'VARCHAR'),
    column('ingest_date', 'DATE'),
    column('source_file', 'VARCHAR'),
    column('line', 'BIGINT'),
    column('reason_codes', 'VARCHAR[]'),
    column('raw_record', 'VARCHAR'),
  ],
};

/** `_ledger/transactions/ingest_date=D/<run>@<tag>.json`: one JSON entry per run (ledger-entry.ts). */
export const LEDGER_DEFINITION: TableDefinition = {
  table: LEDGER_TABLE,
  partitionColumns: ['ingest_date'],
  format: 'json',
  columns: [
    ...LEDGER_COLUMNS.map((spec) => column(spec.name, standardSqlType(spec.type).toUpperCase())),
    column('touched_partitions', 'VARCHAR[]'),
    column('files', 'VARCHAR[]'),
  ],
};
