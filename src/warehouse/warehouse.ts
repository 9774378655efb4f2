/**
 * The one interface every warehouse engine implements (DuckDB, PostgreSQL, Redshift). Materializations, the
 * silver loader and the CLI talk only to this, so engine differences stay inside `src/warehouse/<engine>/`.
 * What an engine can or cannot do is a read-only capability flag, never an `engine === …` test elsewhere.
 */

/** A table or view in a schema. Rendered as `"schema"."name"` by {@link Warehouse.quoteRelation}. */
export interface Relation {
  schema: string;
  name: string;
}

/**
 * A value as every engine returns it, so marts compare row for row across engines: DECIMAL → exact string with
 * its scale ("123.40"), DATE → "YYYY-MM-DD", TIMESTAMP → ISO string, integers → number (string beyond 2^53),
 * booleans → boolean, doubles → number, NULL → null.
 */
export type WarehouseValue = string | number | boolean | null;
export type WarehouseRow = Record<string, WarehouseValue>;

export interface QueryResult {
  columns: string[];
  rows: WarehouseRow[];
}

export interface ColumnInfo {
  name: string;
  /** The engine's type name, lower case (informative; engines spell types differently). */
  type: string;
}

/** What an engine can do; strategies and loaders choose their path from these flags. */
export interface WarehouseCapabilities {
  /** `MERGE INTO … USING … WHEN MATCHED` exists; else merge falls back to delete+insert by key. */
  readonly supportsMerge: boolean;
  /** `COPY … FROM 's3://…'` loads straight from the object store (Redshift). */
  readonly supportsCopyFromObjectStore: boolean;
  /** The engine reads silver Parquet itself, so loading silver is a view over the files (DuckDB). */
  readonly readsParquetDirectly: boolean;
  /** DISTSTYLE / DISTKEY / SORTKEY in CREATE TABLE (Redshift). */
  readonly supportsDistribution: boolean;
  /** DDL (create, drop, rename) inside a transaction is atomic. */
  readonly transactionalDdl: boolean;
  /**
   * Tables are stored by column: a query reads only the columns it names, so several narrow scans of a table
   * cost less than one copy of all its columns (DuckDB, Redshift). On a row store every scan reads whole rows,
   * so tests that check the same rows share one temporary table of them (models test).
   */
  readonly columnar: boolean;
  /**
   * `WITH x AS MATERIALIZED (…)` computes x once and keeps only the columns its readers name (DuckDB), so tests
   * that check the same rows count their failures in one statement over one narrow copy of them. PostgreSQL
   * keeps whole rows there (its tests share a temporary table instead); Redshift has no such CTE.
   */
  readonly prunesMaterializedCte: boolean;
}

/** Physical options a model's config may carry; engines ignore what they do not support. */
export interface TableOptions {
  distStyle?: 'auto' | 'even' | 'all' | 'key';
  distKey?: string;
  sortKey?: string[];
}

/** Statements on one session; inside {@link Warehouse.transaction} they share one transaction. */
export interface SqlSession {
  /** Runs one or more statements that return nothing of interest. */
  execute(sql: string): Promise<void>;
  query(sql: string): Promise<QueryResult>;
}

export type SilverTable = 'transactions' | 'customers' | 'cards' | 'merchants';

export interface LoadSilverOptions {
  /** Lake root: a local folder, or `s3://bucket/prefix` for engines that copy from the object store. */
  lakeRoot: string;
  table: SilverTable;
  /** `event_date` for transactions, `snapshot_date` for entities (default chosen from the table). */
  partitionColumn?: string;
  /** The partitions a run touched (their rows are replaced atomically), or 'all' to reload everything. */
  partitions: string[] | 'all';
  /**
   * The ingest date of the silver run that touched `partitions` (transactions). Every row that run changed
   * carries it (the newest version wins; a version that moved away is replaced by a row of that date), so an
   * engine may replace by key just the rows of that date instead of every row of the partitions, which late
   * data makes most of silver (PostgreSQL does; Redshift replaces the partitions).
   */
  ingestDate?: string;
}

/** What one silver run wrote: its ingest date, and its transaction files relative to the lake root. */
export interface SilverBatch {
  lakeRoot: string;
  ingestDate: string;
  files: string[];
}

/** The rows of silver transactions that the last silver run loaded wrote (Warehouse.exposeSilverBatch). */
export const SILVER_BATCH: Relation = { schema: 'staging', name: 'silver_transactions_batch' };

export interface LoadSilverResult {
  relation: Relation;
  /** Rows written (0 for a DuckDB view, which reads the files at query time). */
  rows: number;
}

export interface LoadFilesOptions {
  /** A glob of Parquet or JSON files (e.g. `<lake>/_ledger/**\/*.json`). */
  files: string;
  format: 'parquet' | 'json';
  target: Relation;
  /** 'replace' rebuilds the table from all matching files (idempotent); 'append' adds their rows. */
  mode?: 'replace' | 'append';
}

export interface DeleteInsertOptions {
  /**
   * Predicates on the target: the rows each selects are removed too, in the same transaction (partitions or
   * groups that must end up empty because their rows moved or vanished).
   */
  alsoDeleteWhere?: string[];
  /**
   * Keeps `columns` of every row this delete+insert inserts or removes (by key or by `alsoDeleteWhere`) in the
   * table `relation`, replaced in the same transaction: what readers downstream need to recompute only the
   * groups the change touched, the groups rows left included.
   */
  recordChanges?: { relation: Relation; columns: string[] };
}

export type WarehouseEngine = 'duckdb' | 'postgres' | 'redshift';

/**
 * A connected warehouse. The high-level operations are what the materialization strategies call; each is
 * atomic (readers see the old or the new relation, never a half-built one).
 *
 * @example
 * const warehouse = await openWarehouse(config);
 * await warehouse.createTableAs({ schema: 'core', name: 'dim_date' }, 'select 1 as d');
 * const { rows } = await warehouse.query('select * from core.dim_date');
 * await warehouse.close();
 */
export interface Warehouse extends SqlSession {
  readonly engine: WarehouseEngine;
  readonly capabilities: WarehouseCapabilities;
  /**
   * Namespaces for engine-specific macros and model files, most specific first: Redshift is
   * `['redshift', 'postgres']`, so `redshift__x` wins, then `postgres__x`, then `default__x`.
   */
  readonly dispatchOrder: readonly string[];
  /** Human description without secrets, e.g. `postgres 127.0.0.1:5432/test`. */
  readonly description: string;

  quoteIdentifier(name: string): string;
  quoteRelation(relation: Relation): string;
  /** A SQL string literal. */
  quoteLiteral(value: string): string;

  ensureSchema(schema: string): Promise<void>;
  relationKind(relation: Relation): Promise<'table' | 'view' | undefined>;
  columns(relation: Relation): Promise<ColumnInfo[]>;

  /** Builds the table beside the target and swaps it in, in one transaction. */
  createTableAs(target: Relation, selectSql: string, options?: TableOptions): Promise<void>;
  /** Creates or replaces a view (replacing a table of the same name). */
  createView(target: Relation, selectSql: string): Promise<void>;
  /** Appends the rows of `selectSql`. */
  insertInto(target: Relation, selectSql: string): Promise<void>;
  /**
   * Replaces, in one transaction, every row of `target` whose `keyColumns` values appear in `selectSql` by the
   * rows of `selectSql` (delete+insert by partition values, or by unique key where MERGE is missing).
   */
  deleteInsert(
    target: Relation,
    selectSql: string,
    keyColumns: string[],
    options?: DeleteInsertOptions,
  ): Promise<void>;
  /** MERGE by unique key: update matched rows, insert the others. Needs `capabilities.supportsMerge`. */
  merge(target: Relation, selectSql: string, uniqueKey: string[]): Promise<void>;
  drop(target: Relation): Promise<void>;
  /** Builds a table of literal rows (seeds) beside the target and swaps it in, like {@link createTableAs}. */
  createTableFromRows(target: Relation, columns: ColumnInfo[], rows: (string | null)[][]): Promise<void>;
  /** Inserts literal rows (seeds, test failures): values are strings or null, cast by the table's types. */
  insertRows(
    target: Relation,
    columns: string[],
    rows: (string | number | boolean | null)[][],
  ): Promise<void>;

  /** Runs `fn` in one transaction; it commits when `fn` resolves and rolls back when it throws. */
  transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Runs a query the engine guarantees not to write; a write statement is a {@link ReadOnlyViolation}. */
  queryReadOnly(sql: string): Promise<QueryResult>;

  /** Makes silver reachable as `staging.silver_<table>` (a view on DuckDB, a loaded table elsewhere). */
  loadSilver(options: LoadSilverOptions): Promise<LoadSilverResult>;
  /**
   * Makes the rows one silver run wrote reachable as the view {@link SILVER_BATCH}: the rows of
   * `staging.silver_transactions` whose ingest_date is that run's (each row a run changes carries it). An
   * engine that reads Parquet in place reads only the files that run wrote, not the thousands of a touched
   * history. Call it after loadSilver of the transactions.
   */
  exposeSilverBatch(batch: SilverBatch): Promise<void>;
  /** Loads flat files (ledger JSON, quarantine Parquet) into a table. */
  loadFiles(options: LoadFilesOptions): Promise<{ rows: number }>;
  /** Writes every row of `relation` to one Parquet file at the local path `file` (the gold export). */
  exportParquet(relation: Relation, file: string): Promise<void>;

  close(): Promise<void>;
}

/** A write statement was sent to a read-only query. */
export class ReadOnlyViolation extends Error {
  override name = 'ReadOnlyViolation';
}

/** Default partition column of a silver table. */
export function silverPartitionColumn(table: SilverTable): string {
  return table === 'transactions' ? 'event_date' : 'snapshot_date';
}

/**
 * The columns of a silver table that the pipeline's models and tests filter, join, group or partition on
 * (pipeline/models/**, pipeline/tests, staging.yml). Engines that load silver into tables give these the
 * full statistics sample, and the other columns, which the models only carry through, a small one (their
 * widths still size sorts and hashes): on 1M transactions ANALYZE then takes about half the time.
 * A model that starts filtering silver on another column should add it here.
 */
export function silverStatisticsColumns(table: SilverTable): string[] {
  switch (table) {
    case 'transactions':
      return [
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
      ];
    case 'customers':
    case 'cards':
    case 'merchants':
      // the SCD dimensions partition and filter snapshots by their key (<entity>_id, snapshot_date) alone
      return silverKey(table);
  }
}

/** The unique key of a silver table, created after a bulk load on engines that load tables. */
export function silverKey(table: SilverTable): string[] {
  switch (table) {
    case 'transactions':
      return ['transaction_id'];
    case 'customers':
      return ['customer_id', 'snapshot_date'];
    case 'cards':
      return ['card_id', 'snapshot_date'];
    case 'merchants':
      return ['merchant_id', 'snapshot_date'];
  }
}
