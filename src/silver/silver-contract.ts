/**
 * The silver contract, declared once: for each silver dataset its columns (name, type, meaning, in the order of
 * the Parquet files), partition column, unique key, the columns the models filter and join on, and how an
 * engine that distributes tables lays it out. Everything else is derived from it: the warehouse tables and
 * their DDL (src/orchestrator/load-silver.ts), the `batch_rows` table silver builds (sql/setup-session.sql), the
 * tables in README.md (contract-readme.ts); tests check the Parquet files silver writes and the models' cast
 * lists (pipeline/macros/typed_transactions.sql, pipeline/models/staging/) against it.
 *
 * @example
 *   const { columns, key, partitionColumn } = silverDataset('transactions');
 */
import type { ColumnSpec, ColumnType } from '../core/column-type.ts';

export type SilverDatasetName = 'transactions' | 'customers' | 'cards' | 'merchants';

export interface SilverColumn extends ColumnSpec {
  /** What the value means, for readers of the contract (README.md). */
  meaning: string;
}

export interface SilverDataset {
  name: SilverDatasetName;
  /** The Hive-style folder level under `silver/<name>/` that a run replaces (`event_date=…`, `snapshot_date=…`). */
  partitionColumn: 'event_date' | 'snapshot_date';
  /** One row per value of these columns across the whole dataset. */
  key: string[];
  /**
   * The columns the pipeline's models and tests filter, join, group or partition on (pipeline/models/**,
   * pipeline/tests, staging.yml). Engines that keep planner statistics of loaded tables sample these fully and
   * the other columns, which the models only carry through, lightly. A model that starts filtering silver on
   * another column adds it here.
   */
  statisticsColumns: string[];
  /**
   * Every file holds every column, in this order: readers may match columns by name file by file instead of
   * first reading every file's schema (union_by_name).
   */
  uniformFiles: boolean;
  /** Distribution and sort keys, for engines that place rows by them (Redshift). */
  layout: { distKey?: string; distStyle?: 'all'; sortKey: string[] };
  columns: SilverColumn[];
}

const varchar = (maxLength: number): ColumnType => ({ kind: 'varchar', maxLength });
const DATE: ColumnType = { kind: 'date' };
const BOOLEAN: ColumnType = { kind: 'boolean' };
const MONEY: ColumnType = { kind: 'decimal', precision: 18, scale: 2 };
const ID = varchar(64);
const column = (name: string, type: ColumnType, meaning: string): SilverColumn => ({ name, type, meaning });

/** `silver/transactions/event_date=YYYY-MM-DD/merchant_category=NAME/*.parquet`. */
export const SILVER_TRANSACTIONS: SilverDataset = {
  name: 'transactions',
  partitionColumn: 'event_date',
  key: ['transaction_id'],
  statisticsColumns: [
    'transaction_id',
    'customer_id',
    'card_id',
    'merchant_id',
    'event_date',
    'ingest_date',
    // filtered by the staging tests (accepted_values, accepted_range, not_null)
    'status',
    'channel',
    'amount',
  ],
  uniformFiles: true,
  layout: { distKey: 'customer_id', sortKey: ['event_date'] },
  columns: [
    column('transaction_id', ID, 'unique id of the transaction: one row per id across all of silver'),
    column('customer_id', ID, 'the customer'),
    column('card_id', ID, 'the card'),
    column('merchant_id', ID, 'the merchant'),
    column('txn_ts', { kind: 'timestamp' }, 'the transaction time in UTC (no zone)'),
    column('event_date', DATE, 'date of txn_ts in the configured business timezone'),
    column('amount', MONEY, 'in `currency`'),
    column('currency', varchar(3), 'ISO 4217'),
    column(
      'fx_rate',
      { kind: 'decimal', precision: 18, scale: 8 },
      'reporting-currency units per 1 unit of `currency` (1 for the reporting currency)',
    ),
    column('amount_reporting', MONEY, 'amount × fx_rate, rounded half away from zero to 2 decimals'),
    column('mcc', varchar(4), '4 digits'),
    column(
      'merchant_category',
      ID,
      'from `pipeline/seeds/mcc_codes.csv`; `other` for an unknown well-formed MCC',
    ),
    column('status', varchar(16), 'approved, declined, reversed (lower case)'),
    column('is_refund', BOOLEAN, 'a refund (amounts stay positive)'),
    column('channel', varchar(16), 'online, pos, mobile'),
    column('card_token', ID, 'HMAC-SHA256 of the PAN (hex); NULL without a PAN'),
    column('card_bin', varchar(6), 'first 6 digits of the PAN; NULL without a PAN'),
    column('card_last4', varchar(4), 'last 4 digits of the PAN; NULL without a PAN'),
    column('entry_mode', varchar(32), 'optional enrichment, NULL when absent'),
    column('country', ID, 'optional enrichment, NULL when absent'),
    column('city', varchar(128), 'optional enrichment, NULL when absent'),
    column('merchant_name', varchar(256), 'optional enrichment, NULL when absent'),
    column('decline_reason', varchar(256), 'optional enrichment, NULL when absent'),
    column('original_transaction_id', ID, 'the purchase a refund refers to; NULL when absent'),
    column('is_fraud', BOOLEAN, 'NULL when the feed does not label fraud'),
    column('ingest_date', DATE, 'the bronze partition this version came from'),
    column('source_file', varchar(1024), 'bronze file name relative to the lake'),
    column('source_line', { kind: 'bigint' }, '1-based line (record) number in that file'),
    column(
      'record_hash',
      varchar(128),
      'hash of the normalised record content; equal hash = exact duplicate',
    ),
  ],
};

const SNAPSHOT_DATE = column('snapshot_date', DATE, 'the ingest date of the snapshot');

/** `silver/customers/snapshot_date=YYYY-MM-DD/data.parquet`: the daily customer snapshot, typed. */
export const SILVER_CUSTOMERS: SilverDataset = {
  name: 'customers',
  partitionColumn: 'snapshot_date',
  key: ['customer_id', 'snapshot_date'],
  // The SCD dimensions partition and filter snapshots by their key alone.
  statisticsColumns: ['customer_id', 'snapshot_date'],
  uniformFiles: false,
  layout: { distKey: 'customer_id', sortKey: ['snapshot_date'] },
  columns: [
    column('customer_id', ID, 'the customer'),
    column('name', varchar(256), 'full name'),
    column('email', varchar(256), 'e-mail address'),
    column('birth_year', { kind: 'integer' }, 'year of birth'),
    column('city', varchar(128), 'home city'),
    column('country', ID, 'home country'),
    column('segment', ID, 'customer segment'),
    column('signup_date', DATE, 'when the customer signed up'),
    SNAPSHOT_DATE,
  ],
};

/** `silver/cards/snapshot_date=YYYY-MM-DD/data.parquet`: the daily card snapshot; the PAN is tokenized here. */
export const SILVER_CARDS: SilverDataset = {
  name: 'cards',
  partitionColumn: 'snapshot_date',
  key: ['card_id', 'snapshot_date'],
  statisticsColumns: ['card_id', 'snapshot_date'],
  uniformFiles: false,
  layout: { distKey: 'customer_id', sortKey: ['snapshot_date'] },
  columns: [
    column('card_id', ID, 'the card'),
    column('customer_id', ID, 'its holder'),
    column('brand', varchar(32), 'card network'),
    column('card_type', varchar(16), 'credit or debit'),
    column('card_token', ID, 'HMAC-SHA256 of the PAN (hex), as on transactions; NULL for an invalid PAN'),
    column('card_bin', varchar(6), 'first 6 digits of the PAN; NULL for an invalid PAN'),
    column('card_last4', varchar(4), 'last 4 digits of the PAN; NULL for an invalid PAN'),
    column('issue_date', DATE, 'when the card was issued'),
    column('expiry_date', DATE, 'when it expires'),
    column('credit_limit', MONEY, 'credit limit; NULL for a debit card'),
    column('status', varchar(16), 'active, replaced, closed (lower case)'),
    SNAPSHOT_DATE,
  ],
};

/** `silver/merchants/snapshot_date=YYYY-MM-DD/data.parquet`: the daily merchant snapshot. Small: on every node. */
export const SILVER_MERCHANTS: SilverDataset = {
  name: 'merchants',
  partitionColumn: 'snapshot_date',
  key: ['merchant_id', 'snapshot_date'],
  statisticsColumns: ['merchant_id', 'snapshot_date'],
  uniformFiles: false,
  layout: { distStyle: 'all', sortKey: ['snapshot_date'] },
  columns: [
    column('merchant_id', ID, 'the merchant'),
    column('merchant_name', varchar(256), 'its name, card-number-like digit runs masked'),
    column('mcc', varchar(4), 'merchant category code (ISO 18245)'),
    column('merchant_category', ID, 'from `pipeline/seeds/mcc_codes.csv`; `other` for an unknown MCC'),
    column('city', varchar(128), 'where it sells'),
    column('country', ID, 'where it sells'),
    SNAPSHOT_DATE,
  ],
};

/** Every silver dataset, transactions first (the order the load task loads them in). */
export const SILVER_DATASETS: readonly SilverDataset[] = [
  SILVER_TRANSACTIONS,
  SILVER_CUSTOMERS,
  SILVER_CARDS,
  SILVER_MERCHANTS,
];

export function silverDataset(name: SilverDatasetName): SilverDataset {
  return SILVER_DATASETS.find((dataset) => dataset.name === name)!;
}
