/**
 * PostgreSQL warehouse over a `pg` pool (one connection per concurrently running model). Silver is loaded
 * into tables: DuckDB reads the Parquet partitions a run touched and streams them through `COPY FROM STDIN`,
 * replacing those partitions in one transaction. Redshift extends this class and overrides what differs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { PipelineError } from '../../core/errors.ts';
import { redact } from '../../core/redact.ts';
import { SqlWarehouse } from '../sql-warehouse.ts';
import { timedSession } from '../timed-session.ts';
import {
  type DeleteInsertOptions,
  type LoadFilesOptions,
  type LoadSilverOptions,
  type LoadSilverResult,
  type QueryResult,
  ReadOnlyViolation,
  type Relation,
  SILVER_BATCH,
  type SilverBatch,
  type SqlSession,
  silverKey,
  silverPartitionColumn,
  silverStatisticsColumns,
  type WarehouseCapabilities,
  type WarehouseEngine,
  type WarehouseRow,
} from '../warehouse.ts';
import {
  copyFromDuckdb,
  describeSource,
  expandGlobs,
  jsonReader,
  parquetReader,
  type ReaderFor,
  type SourceColumn,
} from './copy-from-duckdb.ts';
import { exportPostgresParquet } from './export-parquet.ts';
import { postgresTypeForDuckdb, postgresTypes } from './postgres-types.ts';
import { runPlainReadOnlyQuery, runReadOnlyQuery } from './read-only-query.ts';

/** Where a warehouse connection goes, without the password (safe to print). */
export interface ConnectionInfo {
  host: string;
  port: number;
  database: string;
  user: string;
}

/** The part of a `pg.Pool` the warehouse uses; tests inject a recording fake (Redshift). */
export interface PgPoolLike {
  connect(): Promise<PgClientLike>;
  end(): Promise<void>;
}

export interface PgClientLike {
  query(config: string | { text: string; values?: unknown[]; queryMode?: 'extended' }): Promise<unknown>;
  release(): void;
}

export interface OpenPostgresOptions {
  password?: string;
  /** Pool size: how many models may run at once. */
  maxConnections?: number;
}

/** Parses `postgres://user[:password]@host[:port]/database` (also `redshift://`). */
export function parseConnectionUrl(url: string, defaultPort: number): ConnectionInfo & { password?: string } {
  const parsed = new URL(url.replace(/^[a-z]+:\/\//, 'postgres://'));
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : defaultPort,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres',
    user: decodeURIComponent(parsed.username) || 'postgres',
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}

export class PostgresWarehouse extends SqlWarehouse {
  readonly engine: WarehouseEngine = 'postgres';
  readonly capabilities: WarehouseCapabilities;
  readonly description: string;
  readonly dispatchOrder: readonly string[] = ['postgres'];

  constructor(
    protected readonly pool: PgPoolLike,
    protected readonly connection: ConnectionInfo,
    serverVersionNum = 150000,
  ) {
    super();
    this.description = `${this.engineName()} ${connection.host}:${connection.port}/${connection.database}`;
    this.capabilities = this.capabilitiesFor(serverVersionNum);
  }

  protected engineName(): string {
    return 'postgres';
  }

  protected capabilitiesFor(serverVersionNum: number): WarehouseCapabilities {
    return {
      supportsMerge: serverVersionNum >= 150000,
      supportsCopyFromObjectStore: false,
      readsParquetDirectly: false,
      supportsDistribution: false,
      transactionalDdl: true,
      columnar: false,
      prunesMaterializedCte: false,
    };
  }

  /** Connects and checks the server answers; a failure is one line naming host, port and database. */
  static async open(url: string, options: OpenPostgresOptions = {}): Promise<PostgresWarehouse> {
    const { password: urlPassword, ...connection } = parseConnectionUrl(url, 5432);
    const pool = await connectPool(
      connection,
      options.password ?? urlPassword,
      options.maxConnections,
      'postgres',
    );
    const version = await serverVersion(pool, connection, 'postgres');
    return new PostgresWarehouse(pool, connection, version);
  }

  protected wrapError(error: unknown, sql: string): Error {
    const message = error instanceof Error ? error.message : String(error);
    const wrapped = new PipelineError(redact(`${this.description}: ${message} (in: ${sql.slice(0, 200)})`));
    (wrapped as Error & { code?: unknown }).code = (error as { code?: unknown }).code;
    return wrapped;
  }

  protected sessionOn(client: PgClientLike): SqlSession {
    return timedSession({
      execute: async (sql) => {
        try {
          await client.query(sql);
        } catch (error) {
          throw this.wrapError(error, sql);
        }
      },
      query: async (sql) => {
        try {
          return toQueryResult(await client.query(sql));
        } catch (error) {
          throw this.wrapError(error, sql);
        }
      },
    });
  }

  protected async withClient<T>(fn: (client: PgClientLike) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }

  protected withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.withClient((client) => fn(this.sessionOn(client)));
  }

  transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.transactionOnClient((_client, session) => fn(session));
  }

  /** Whether the engine has functions that read the server's files, which `query` must not reach. */
  protected readonly guardsServerFiles: boolean = true;

  /**
   * A read-only transaction and the extended protocol (one statement only) make writes impossible; a user
   * that may read server files has its query run without that right (read-only-query.ts).
   */
  queryReadOnly(sql: string): Promise<QueryResult> {
    return this.withClient(async (client) => {
      try {
        return this.guardsServerFiles
          ? await runReadOnlyQuery(client, sql)
          : await runPlainReadOnlyQuery(client, sql);
      } catch (error) {
        if (error instanceof ReadOnlyViolation) throw error;
        throw this.wrapError(error, sql);
      }
    });
  }

  /** `CREATE SCHEMA IF NOT EXISTS` can still collide when two sessions run it at once; the loser is fine. */
  override async ensureSchema(schema: string): Promise<void> {
    try {
      await super.ensureSchema(schema);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== '23505' && code !== '42P06') throw error;
    }
  }

  /** PostgreSQL refuses to drop a relation other views depend on, so drops cascade (see dropForReplace). */
  protected override dropSql(target: Relation, kind: 'table' | 'view'): string {
    return `drop ${kind} if exists ${this.quoteRelation(target)} cascade`;
  }

  /** Remembers the definitions of the views (transitively) built on `target`, to recreate them after the swap. */
  protected override async dropForReplace(
    session: SqlSession,
    target: Relation,
  ): Promise<() => Promise<void>> {
    const kind = await this.relationKindIn(session, target);
    if (!kind) return async () => undefined;
    const { rows: dependents } = await session.query(
      DEPENDENT_VIEWS_SQL.replaceAll('$target', this.quoteLiteral(this.quoteRelation(target))),
    );
    await session.execute(this.dropSql(target, kind));
    return async () => {
      for (const view of dependents) {
        const relation = { schema: String(view['schema_name']), name: String(view['view_name']) };
        await session.execute(`create view ${this.quoteRelation(relation)} as ${String(view['definition'])}`);
      }
    };
  }

  /**
   * Silver tables are UNLOGGED: a copy of the lake's Parquet needs no write-ahead log (loading skips writing
   * every row twice), at the price that PostgreSQL empties them after a crash — so a partial load that finds
   * its unlogged table empty reloads all partitions instead.
   */
  async loadSilver(options: LoadSilverOptions): Promise<LoadSilverResult> {
    const relation: Relation = { schema: 'staging', name: `silver_${options.table}` };
    const partitionColumn = options.partitionColumn ?? silverPartitionColumn(options.table);
    const base = join(options.lakeRoot, 'silver', options.table);
    const partitions =
      options.partitions !== 'all' && (await this.isEmptyUnlogged(relation)) ? 'all' : options.partitions;
    const globs =
      partitions === 'all'
        ? [`${base}/**/*.parquet`]
        : partitions
            .map((value) => join(base, `${partitionColumn}=${value}`))
            .filter((dir) => existsSync(dir))
            .map((dir) => `${dir}/**/*.parquet`);
    const replace =
      partitions === 'all'
        ? 'true'
        : `${this.quoteIdentifier(partitionColumn)} in (${partitions.map((p) => this.quoteLiteral(p)).join(', ') || 'null'})`;
    const timings: Record<string, number> = {};
    // A run's transactions: only the rows of its ingest date, replaced by key (LoadSilverOptions.ingestDate).
    const ingestDate =
      partitions !== 'all' && options.table === 'transactions' ? options.ingestDate : undefined;
    const reader: ReaderFor =
      ingestDate === undefined
        ? parquetReader
        : (files) =>
            `(select * from ${parquetReader(files)} where ingest_date = cast(${this.quoteLiteral(ingestDate)} as date))`;
    const rows = await this.loadWithDuckdb(relation, globs, reader, {
      ...(ingestDate === undefined ? { deleteWhere: replace } : { replaceByKey: true }),
      key: silverKey(options.table),
      statisticsColumns: silverStatisticsColumns(options.table),
      unlogged: true,
      timings,
    });
    return { relation, rows, timings };
  }

  /**
   * The run's rows as an UNLOGGED table of their own, not a view: the models and tests of a run read them about
   * six times, and each read of a view would scan all of silver_transactions (day 31 of the bench: 7.8M rows,
   * 0.9 s) where the table holds the day's 1M (0.1 s). Built in one scan; a copy of the lake like the silver
   * tables, so a crash that empties it costs nothing (each run rebuilds it).
   */
  override async exposeSilverBatch(batch: SilverBatch): Promise<void> {
    const target = this.quoteRelation(SILVER_BATCH);
    await this.transaction(async (session) => {
      const restore = await this.dropForReplace(session, SILVER_BATCH);
      await session.execute(`create unlogged table ${target} as ${this.silverBatchSelect(batch)}`);
      await restore();
    });
    await this.execute(`analyze ${target}`);
  }

  private async isEmptyUnlogged(relation: Relation): Promise<boolean> {
    const { rows } = await this.query(
      `select relpersistence from pg_class where oid = to_regclass(${this.quoteLiteral(this.quoteRelation(relation))})`,
    );
    if (rows[0]?.['relpersistence'] !== 'u') return false;
    const { rows: sample } = await this.query(
      `select 1 as found from ${this.quoteRelation(relation)} limit 1`,
    );
    return sample.length === 0;
  }

  async loadFiles(options: LoadFilesOptions): Promise<{ rows: number }> {
    const rows = await this.loadWithDuckdb(
      options.target,
      [options.files],
      options.format === 'parquet' ? parquetReader : jsonReader,
      { deleteWhere: options.mode === 'append' ? undefined : 'true' },
    );
    return { rows };
  }

  async exportParquet(relation: Relation, file: string): Promise<void> {
    const { rows } = await this.query(
      `select column_name, data_type, numeric_precision, numeric_scale from information_schema.columns
       where table_schema = ${this.quoteLiteral(relation.schema)} and table_name = ${this.quoteLiteral(relation.name)}
       order by ordinal_position`,
    );
    const columns = rows.map((row) => ({
      name: String(row['column_name']),
      dataType: String(row['data_type']),
      numericPrecision: row['numeric_precision'] === null ? null : Number(row['numeric_precision']),
      numericScale: row['numeric_scale'] === null ? null : Number(row['numeric_scale']),
    }));
    const duck = await openReader();
    try {
      await this.withClient((client) =>
        exportPostgresParquet(
          client as pg.PoolClient,
          duck.connection,
          this.quoteRelation(relation),
          columns,
          file,
        ),
      );
    } finally {
      duck.close();
    }
  }

  /**
   * Loads the files DuckDB reads into `target`. Replacing only some rows (touched partitions) happens in one
   * transaction: delete them, COPY the new ones. Filling a new table or replacing all of it builds the table
   * beside the target instead, in one transaction: create it, COPY with FREEZE (allowed because the table is
   * new in this transaction), key and analyse it (faster than loading into an index), then swap it in like
   * a model table.
   */
  private async loadWithDuckdb(
    target: Relation,
    globs: string[],
    readerFor: ReaderFor,
    plan: {
      deleteWhere?: string;
      /** Replace the rows whose key the files hold (through a temporary table), not those of deleteWhere. */
      replaceByKey?: boolean;
      key?: string[];
      /** Columns that get the full ANALYZE sample; all when absent (see analyze()). */
      statisticsColumns?: string[];
      unlogged?: boolean;
      timings?: Record<string, number>;
    },
  ): Promise<number> {
    let started = performance.now();
    const lap = (phase: string) => {
      if (plan.timings) plan.timings[phase] = (performance.now() - started) / 1000;
      started = performance.now();
    };
    await this.ensureSchema(target.schema);
    const exists = (await this.relationKind(target)) !== undefined;
    // One DuckDB thread renders CSV faster than a PostgreSQL session parses it, and leaves the other cores to
    // PostgreSQL (two threads cost 60% more CPU for the same rows).
    const duck = await openReader(1);
    try {
      const files = await expandGlobs(duck.connection, globs);
      if (files.length === 0) {
        if (exists && plan.deleteWhere)
          await this.execute(`delete from ${this.quoteRelation(target)} where ${plan.deleteWhere}`);
        return 0;
      }
      const columns = await describeSource(duck.connection, readerFor(files));
      if (!exists || plan.deleteWhere === 'true') {
        return await this.rebuildFromFiles(target, files, readerFor, columns, duck.connection, plan, lap);
      }
      const rows = await this.transactionOnClient(async (client, session) => {
        await this.addMissingColumns(session, target, columns);
        if (plan.replaceByKey && plan.key) {
          return this.replaceByKey(session, target, plan.key, (into) =>
            copyFromDuckdb(client, duck.connection, files, readerFor, into, columns),
          );
        }
        if (plan.deleteWhere) {
          await session.execute(`delete from ${this.quoteRelation(target)} where ${plan.deleteWhere}`);
        }
        return copyFromDuckdb(client, duck.connection, files, readerFor, this.quoteRelation(target), columns);
      });
      lap('copy');
      await this.transaction((session) => this.analyze(session, target, columns, plan.statisticsColumns));
      lap('analyze');
      return rows;
    } finally {
      duck.close();
    }
  }

  /**
   * Copies rows into a temporary table shaped like `target`, then replaces the target's rows with the same key
   * by them: a few thousand superseded versions deleted, the rest inserted. Inside the caller's transaction.
   */
  private async replaceByKey(
    session: SqlSession,
    target: Relation,
    key: string[],
    copyInto: (relationSql: string) => Promise<number>,
  ): Promise<number> {
    const changed = this.quoteIdentifier('fintech_changed_rows');
    const targetSql = this.quoteRelation(target);
    await session.execute(`create temporary table ${changed} (like ${targetSql}) on commit drop`);
    const rows = await copyInto(changed);
    const match = key
      .map((column) => `t.${this.quoteIdentifier(column)} = c.${this.quoteIdentifier(column)}`)
      .join(' and ');
    await session.execute(`delete from ${targetSql} as t using ${changed} as c where ${match}`);
    await session.execute(`insert into ${targetSql} select * from ${changed}`);
    return rows;
  }

  private rebuildFromFiles(
    target: Relation,
    files: string[],
    readerFor: ReaderFor,
    columns: SourceColumn[],
    duck: DuckDBConnection,
    {
      key,
      statisticsColumns,
      unlogged,
    }: { key?: string[]; statisticsColumns?: string[]; unlogged?: boolean },
    lap: (phase: string) => void,
  ): Promise<number> {
    const beside: Relation = { schema: target.schema, name: `${target.name}__fintech_new` };
    return this.transactionOnClient(async (client, session) => {
      await session.execute(this.dropSql(beside, 'table'));
      // Key columns NOT NULL from the start: COPY checks each row as it parses it, where adding the primary
      // key to nullable columns would scan the whole table once more to prove them non-null.
      await session.execute(this.createTableSql(beside, columns, unlogged ? 'unlogged' : '', key ?? []));
      const rows = await copyFromDuckdb(client, duck, files, readerFor, this.quoteRelation(beside), columns, {
        freeze: true,
      });
      lap('copy');
      if (key) {
        // Enough memory to sort the keys in memory, and for PostgreSQL to give the sort a parallel worker.
        await session.execute(`set local maintenance_work_mem = '256MB'`);
        await session.execute(
          `alter table ${this.quoteRelation(beside)} add constraint ${this.quoteIdentifier(`${beside.name}_pkey`)} primary key (${key.map((k) => this.quoteIdentifier(k)).join(', ')})`,
        );
      }
      lap('key');
      await this.analyze(session, beside, columns, statisticsColumns);
      lap('analyze');
      const restore = await this.dropForReplace(session, target);
      await session.execute(
        `alter table ${this.quoteRelation(beside)} rename to ${this.quoteIdentifier(target.name)}`,
      );
      if (key) {
        await session.execute(
          `alter table ${this.quoteRelation(target)} rename constraint ${this.quoteIdentifier(`${beside.name}_pkey`)} to ${this.quoteIdentifier(`${target.name}_pkey`)}`,
        );
      }
      await restore();
      return rows;
    });
  }

  override async deleteInsert(
    target: Relation,
    selectSql: string,
    keyColumns: string[],
    options: DeleteInsertOptions = {},
  ): Promise<void> {
    await super.deleteInsert(target, selectSql, keyColumns, options);
    await this.reclaimDeadRows(target);
  }

  override async merge(target: Relation, selectSql: string, uniqueKey: string[]): Promise<void> {
    await super.merge(target, selectSql, uniqueKey);
    await this.reclaimDeadRows(target);
  }

  /** DELETE … RETURNING inside a WITH (Redshift has neither). */
  protected readonly deleteReturning: boolean = true;

  /**
   * With recordChanges, each delete records the rows it removes itself (`with deleted as (delete … returning …)
   * insert …`) instead of a join that finds them first: on the fact of a 200k-row day on top of 15 days (3.5M
   * rows) that join took 1.8 s and the delete after it 1.1 s.
   */
  protected override async deleteReplacedRows(
    session: SqlSession,
    target: Relation,
    batch: string,
    keyColumns: string[],
    options: DeleteInsertOptions,
  ): Promise<void> {
    const record = options.recordChanges;
    if (!record || !this.deleteReturning) {
      return super.deleteReplacedRows(session, target, batch, keyColumns, options);
    }
    const table = this.quoteRelation(target);
    const recorded = this.quoteRelation(record.relation);
    const restore = await this.createChangesTable(session, batch, record);
    const deletes = (options.alsoDeleteWhere ?? []).map(
      (where) => `delete from ${table} where ${where} returning ${this.columnList(record.columns)}`,
    );
    const { keys, match } = this.batchKeys(batch, keyColumns);
    deletes.push(
      `delete from ${table} as fintech_target using ${keys} where ${match} returning ${this.columnList(record.columns, 'fintech_target')}`,
    );
    for (const statement of deletes) {
      await session.execute(
        `with fintech_deleted as (${statement}) insert into ${recorded} select * from fintech_deleted`,
      );
    }
    await restore();
  }

  /**
   * After a delete+insert or merge, `VACUUM (ANALYZE)` the table when autovacuum will not (switched off on the
   * server, or for the table): nothing else reclaims the rows a daily run deletes, and every later scan reads
   * them. Measured with autovacuum off: by day 23 of a daily run, agg_customer_daily held 7.1M dead rows, and
   * the old loader had left 73.6M (30 GB) in staging, where each scan then took ~20 s. With autovacuum on, it
   * does this itself, in the background.
   */
  protected async reclaimDeadRows(target: Relation): Promise<void> {
    const table = this.quoteRelation(target);
    const { rows } = await this.query(
      `select current_setting('autovacuum')::boolean and coalesce((select option_value::boolean from pg_options_to_table(reloptions) where option_name = 'autovacuum_enabled'), true) as autovacuum from pg_class where oid = to_regclass(${this.quoteLiteral(table)})`,
    );
    if (rows[0]?.['autovacuum'] === false) await this.execute(`vacuum (analyze) ${table}`);
  }

  /** {@link transaction}, also handing over the raw client (COPY streams need it). */
  private transactionOnClient<T>(fn: (client: pg.PoolClient, session: SqlSession) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      const session = this.sessionOn(client);
      await session.execute('begin');
      try {
        const result = await fn(client as pg.PoolClient, session);
        await session.execute('commit');
        return result;
      } catch (error) {
        await client.query('rollback');
        throw error;
      }
    });
  }

  /**
   * Refreshes the planner statistics of a loaded table. With `statisticsColumns` (the columns models filter,
   * join and group on), those get PostgreSQL's full sample and the other loaded columns one a tenth its size:
   * enough for their widths, which size the sorts and hashes of the models reading them, at a fraction of the
   * cost (ANALYZE's time grows with its sample). Without, all columns get the full sample.
   */
  private async analyze(
    session: SqlSession,
    target: Relation,
    loaded: SourceColumn[],
    statisticsColumns?: string[],
  ): Promise<void> {
    const table = this.quoteRelation(target);
    if (!statisticsColumns) return session.execute(`analyze ${table}`);
    const list = (names: string[]) => names.map((name) => this.quoteIdentifier(name)).join(', ');
    const planned = loaded.map((c) => c.name).filter((name) => statisticsColumns.includes(name));
    const carried = loaded.map((c) => c.name).filter((name) => !statisticsColumns.includes(name));
    if (carried.length > 0) {
      await session.execute('set local default_statistics_target = 10');
      await session.execute(`analyze ${table} (${list(carried)})`);
      await session.execute('set local default_statistics_target to default');
    }
    // Last, so the table's row estimate (every ANALYZE sets it) comes from the larger sample.
    if (planned.length > 0) await session.execute(`analyze ${table} (${list(planned)})`);
  }

  private createTableSql(
    target: Relation,
    columns: SourceColumn[],
    persistence: '' | 'unlogged',
    notNull: string[],
  ): string {
    const list = columns.map(
      (column) =>
        `${this.quoteIdentifier(column.name)} ${postgresTypeForDuckdb(column.type)}${notNull.includes(column.name) ? ' not null' : ''}`,
    );
    return `create ${persistence} table ${this.quoteRelation(target)} (${list.join(', ')})`;
  }

  private async addMissingColumns(
    session: SqlSession,
    target: Relation,
    columns: SourceColumn[],
  ): Promise<void> {
    const present = new Set((await this.columnsIn(session, target)).map((column) => column.name));
    for (const column of columns.filter((c) => !present.has(c.name))) {
      await session.execute(
        `alter table ${this.quoteRelation(target)} add column ${this.quoteIdentifier(column.name)} ${postgresTypeForDuckdb(column.type)}`,
      );
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

const DEPENDENT_VIEWS_SQL = readFileSync(new URL('./dependent-views.sql', import.meta.url), 'utf8');

async function openReader(threads?: number): Promise<{ connection: DuckDBConnection; close(): void }> {
  const instance = await DuckDBInstance.create(':memory:', threads ? { threads: String(threads) } : {});
  const connection = await instance.connect();
  return {
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Creates a pool whose sessions run in UTC; connection errors name host, port and database only. */
export async function connectPool(
  connection: ConnectionInfo,
  password: string | undefined,
  maxConnections = 4,
  engine: string,
): Promise<PgPoolLike> {
  const pool = new pg.Pool({
    host: connection.host,
    port: connection.port,
    database: connection.database,
    user: connection.user,
    password,
    max: maxConnections,
    types: postgresTypes,
    options: '-c TimeZone=UTC',
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection must not crash the process; the next query reports the failure.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    const reason = redact((error as Error).message.split('\n')[0] ?? 'unknown error');
    throw new PipelineError(
      `cannot connect to ${engine} warehouse at host ${connection.host}, port ${connection.port}, database ${connection.database}: ${reason}`,
    );
  }
  return pool as unknown as PgPoolLike;
}

export async function serverVersion(
  pool: PgPoolLike,
  connection: ConnectionInfo,
  engine: string,
): Promise<number> {
  const client = await pool.connect();
  try {
    const result = toQueryResult(await client.query(`select current_setting('server_version_num') as v`));
    return Number(result.rows[0]?.['v'] ?? 0);
  } catch {
    throw new PipelineError(
      `${engine} at ${connection.host}:${connection.port}/${connection.database} did not answer`,
    );
  } finally {
    client.release();
  }
}

/** pg returns one result per statement for a multi-statement string; the last one is what a caller wants. */
export function toQueryResult(raw: unknown): QueryResult {
  const result = (Array.isArray(raw) ? raw.at(-1) : raw) as
    | { rows?: WarehouseRow[]; fields?: { name: string }[] }
    | undefined;
  return { columns: (result?.fields ?? []).map((field) => field.name), rows: result?.rows ?? [] };
}
