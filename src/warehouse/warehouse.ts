/**
 * The one interface every warehouse engine implements (DuckDB, PostgreSQL, Redshift). Materializations, the
 * orchestrator's load step and the CLI talk only to this, so engine differences stay inside
 * `src/warehouse/<engine>/`. It knows engines, not the fintech domain: tables, views, files, keys. What an
 * engine can or cannot do is a read-only capability flag, never an `engine === …` test elsewhere.
 */
import type { ColumnSpec, ColumnType } from '../core/column-type.ts';
import { PipelineError } from '../core/errors.ts';

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

/**
 * What an engine can do; strategies and loaders choose their path from these flags. The defaults (the
 * portable SQL engine) live in one place, `DEFAULT_CAPABILITIES` in sql-warehouse.ts; an engine overrides
 * only the flags it differs on.
 */
export interface WarehouseCapabilities {
  /** `MERGE INTO … USING … WHEN MATCHED` exists; else merge falls back to delete+insert by key. */
  readonly supportsMerge: boolean;
  /** The engine reads Parquet itself, so files are reachable as a view over them ({@link Warehouse.createFileView}). */
  readonly readsParquetDirectly: boolean;
  /**
   * {@link Warehouse.loadFiles} can keep only some rows of the files it reads (`only`), so a load may replace
   * rows by key with just the rows that changed instead of whole partitions (DuckDB reads the files first on
   * DuckDB and PostgreSQL; Redshift's COPY takes whole files).
   */
  readonly filtersLoadedRows: boolean;
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
  /**
   * The engine reads and writes the lake's object store itself (Redshift): loads take a COPY manifest in S3
   * that lists exactly the files to load ({@link LoadFilesOptions.manifest}), and {@link Warehouse.unloadParquet}
   * writes a relation to S3. The others read and write local files (a local lake, or the cached copies of an S3
   * lake's objects).
   */
  readonly supportsCopyFromObjectStore: boolean;
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

/** Rows whose `column` equals `equals` (or one of them, given a list), compared as the column's declared type. */
export interface ColumnEquals {
  column: string;
  equals: string | readonly string[];
  type: ColumnType;
}

/** Parquet files an operation reads: paths, or globs such as `<dir>/**\/*.parquet`. */
export interface ParquetFiles {
  paths: string[];
  /**
   * Every file holds the same columns in the same order, so a reader matches them by name file by file instead
   * of first opening every file's footer to unite their schemas.
   */
  sameColumns?: boolean;
}

/** How the rows a load reads replace the rows the table holds. */
export type RowReplacement =
  /** They become the table's rows (a rebuild; idempotent). */
  | { kind: 'all' }
  /** They are added. */
  | { kind: 'append' }
  /** They replace the rows whose `column` is one of `values`, also those no file holds any more (partitions). */
  | { kind: 'in'; column: string; values: string[] }
  /** They replace the rows with the same `key` (the table's unique key). */
  | { kind: 'key' };

export interface LoadFilesOptions {
  target: Relation;
  /**
   * Local paths or globs of the files; with `manifest`, the one `s3://` URL of a COPY manifest (engines that
   * `supportsCopyFromObjectStore`; Redshift also takes S3 prefixes, the part of each glob before its first `*`).
   */
  files: string[];
  /** `files` is a COPY manifest listing exactly the objects to load (never a prefix, which takes any object). */
  manifest?: boolean;
  format: 'parquet' | 'json';
  /** Default: `all`. */
  replace?: RowReplacement;
  /** Loads only these rows of the files (needs `capabilities.filtersLoadedRows`). */
  only?: ColumnEquals;
  /** The table's unique key: its primary key where the engine builds one, and what `replace: key` matches on. */
  key?: string[];
  /**
   * The table's declared columns: an engine that cannot read a file's schema (Redshift) creates the table from
   * them; the others take the files' own columns (and add new ones).
   */
  columns?: ColumnSpec[];
  /** Distribution and sort keys for a table this load creates (Redshift). */
  tableOptions?: TableOptions;
  /**
   * The columns queries filter, join and group on: engines that keep planner statistics sample these fully and
   * the others lightly. Absent: every column fully.
   */
  statisticsColumns?: string[];
  /**
   * Where all of the table's rows are when the table is a copy of files: an engine may then keep it without a
   * write-ahead log (PostgreSQL's UNLOGGED tables, which a server crash empties), and a partial load that finds
   * it emptied rebuilds it from these files instead. A function is called only then (resolving all of a remote
   * lake's files means downloading them).
   */
  rebuildFrom?: string[] | (() => Promise<string[]>);
  /**
   * Statements run in the load's transaction once its rows are in (also when there was nothing to load): a
   * record of what was loaded that commits with it, so it is exact after a crash.
   */
  alsoExecute?: string[];
}

export interface LoadResult {
  relation: Relation;
  /** Rows written. */
  rows: number;
}

/** The rows of `from` that `where` selects; `files`, where given, hold all of them (and may hold others). */
export interface Subset {
  from: Relation;
  where: ColumnEquals;
  files?: ParquetFiles;
}

export interface DeleteInsertOptions {
  /**
   * Predicates on the target: the rows each selects are removed too, in the same transaction (partitions or
   * groups that must end up empty because their rows moved or vanished).
   */
  alsoDeleteWhere?: string[];
  /**
   * Adds `columns` of every row this delete+insert inserts or removes (by key or by `alsoDeleteWhere`) to the
   * table `relation`, in the same transaction: what readers downstream need to recompute only the groups the
   * change touched, the groups rows left included. Records accumulate until the readers consume them (a crash
   * between the writer's commit and theirs loses none). The table is created when missing; a view there (a
   * full build's record: every row of the target) becomes a table of those rows first.
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

  /**
   * Creates an empty table of declared columns, keyed by `primaryKey`, unless a relation of that name exists
   * (a data set that has no files yet still gives the models a relation to read).
   */
  createTable(
    target: Relation,
    columns: ColumnSpec[],
    options?: TableOptions & { primaryKey?: string[] },
  ): Promise<void>;
  /**
   * Loads the rows of Parquet or JSON files into a table, replacing rows as `replace` says, in one
   * transaction; creates the table when missing. Each engine loads its fastest way (DuckDB reads the files;
   * PostgreSQL streams them through COPY; Redshift COPYs from S3).
   */
  loadFiles(options: LoadFilesOptions): Promise<LoadResult>;
  /**
   * A view over Parquet files, read at query time, so loading costs nothing (needs
   * `capabilities.readsParquetDirectly`).
   */
  createFileView(target: Relation, files: ParquetFiles): Promise<void>;
  /**
   * Makes `target` the rows of a subset of `from`, for queries that read them many times: each engine picks
   * its fastest form (DuckDB a view over `subset.files`, which spares it opening every file of `from`;
   * PostgreSQL an UNLOGGED table built in one scan; Redshift a view).
   */
  exposeSubset(target: Relation, subset: Subset): Promise<void>;
  /** Writes every row of `relation` to one Parquet file at the local path `file` (the gold export). */
  exportParquet(relation: Relation, file: string): Promise<void>;
  /**
   * Writes every row of `relation` as Parquet objects whose keys start with the `s3://` `prefix`, plus a manifest
   * `<prefix>manifest` listing them with their sizes (the gold export of an engine that
   * `supportsCopyFromObjectStore`; Redshift's UNLOAD), encrypted with the lake's KMS key when it has one.
   */
  unloadParquet(relation: Relation, prefix: string, options?: { kmsKeyId?: string }): Promise<void>;

  /**
   * Makes this process the warehouse's one writer until `release` (or the process dies): two homes writing one
   * PostgreSQL database would otherwise interleave their loads and models. A live holder makes it wait up to
   * `waitSeconds`, then fail with {@link WarehouseLockedError} naming the holder. An engine whose file lock
   * already excludes other processes (DuckDB) returns at once.
   */
  acquireWriterLock(options: WriterLockOptions): Promise<WarehouseWriterLock>;

  /**
   * For a task running on another process (a queue worker) for the run whose driver holds the writer lock:
   * checks the lock is held under `owner` (what that driver passed to {@link acquireWriterLock}) and, until
   * `release`, keeps the next writer out: a process that takes the lock after the holder died waits for these
   * writes to end before it writes, so two runs never interleave. Fails with {@link WarehouseLockedError} when
   * the lock is not held under `owner`. An engine whose lock is a no-op returns at once.
   */
  joinWriterLock(options: JoinWriterLockOptions): Promise<WarehouseWriterLock>;

  /**
   * This warehouse for work that stops when `signal` aborts (a task's timeout or stop): the statement running
   * for it is interrupted (DuckDB) or cancelled (PostgreSQL), none starts after, and the operation fails with
   * `signal.reason`; what ran in a transaction rolls back. Other work on the same warehouse goes on.
   *
   * @example
   *   const bound = warehouse.withSignal(context.signal);
   *   await runModels({ warehouse: bound, project, vars });
   */
  withSignal(signal: AbortSignal): Warehouse;

  close(): Promise<void>;
}

export interface WriterLockOptions {
  /** Who asks, as another process should read it: `process 123 on etl-1 (fintech-etl run --date …), home /srv/etl`. */
  holder: string;
  /** Seconds to wait for a live holder; 0 fails at once. */
  waitSeconds: number;
  pollMs?: number;
  /**
   * Recorded with the lock: the tag the run's tasks on other processes present to {@link
   * Warehouse.joinWriterLock} (the home's writer lease, pipeline/dag/run-writer.ts).
   */
  owner?: string;
}

export interface JoinWriterLockOptions {
  /** The tag the lock must be held under. */
  owner: string;
  /** Who joins, as the next writer should read it while it waits: `task load of run … on etl-2 pid 77`. */
  joiner: string;
}

export interface WarehouseWriterLock {
  /** Aborted when the lock can no longer be vouched for (its connection was lost): stop writing. */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

/** Another process holds the warehouse's writer lock: exit 1, naming it. */
export class WarehouseLockedError extends PipelineError {
  override name = 'WarehouseLockedError';
}

/** A write statement was sent to a read-only query. */
export class ReadOnlyViolation extends Error {
  override name = 'ReadOnlyViolation';
}
