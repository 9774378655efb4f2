/**
 * PostgreSQL warehouse over a `pg` pool (one connection per concurrently running model). Each concern lives in
 * its own file of this folder: the pool (connection-pool.ts), sessions and the read-only guard
 * (postgres-session.ts), dependent views (dependent-views.ts), UNLOGGED recovery (unlogged-recovery.ts), the
 * DuckDB-fed bulk loader (duckdb-bulk-loader.ts), statistics and dead rows (table-maintenance.ts), the Parquet
 * export (export-parquet.ts); this class wires them to the Warehouse operations. Redshift extends it and
 * overrides what differs.
 */
import type pg from 'pg';
import { abortedOr } from '../../core/interrupt-on-abort.ts';
import { type EventSink, NO_EVENTS } from '../../core/pipeline-event.ts';
import { DEFAULT_CAPABILITIES, SqlWarehouse } from '../sql-warehouse.ts';
import { statementSignal } from '../statement-signal.ts';
import type {
  DeleteInsertOptions,
  JoinWriterLockOptions,
  LoadFilesOptions,
  LoadResult,
  QueryResult,
  Relation,
  SqlSession,
  Subset,
  WarehouseCapabilities,
  WarehouseEngine,
  WarehouseWriterLock,
  WriterLockOptions,
} from '../warehouse.ts';
import { acquireAdvisoryWriterLock, joinAdvisoryWriterLock } from './advisory-writer-lock.ts';
import { cancelOnAbort } from './cancel-on-abort.ts';
import {
  type ConnectionInfo,
  connectPool,
  type OpenPostgresOptions,
  type PgClientLike,
  type PgPoolLike,
  parseConnectionUrl,
  serverVersion,
} from './connection-pool.ts';
import { jsonReader, parquetReader, type ReaderFor } from './copy-from-duckdb.ts';
import { dropKeepingDependentViews } from './dependent-views.ts';
import { type BulkLoadHost, loadWithDuckdb } from './duckdb-bulk-loader.ts';
import { exportPostgresParquet } from './export-parquet.ts';
import { postgresSession, queryReadOnly } from './postgres-session.ts';
import { reclaimDeadRows } from './table-maintenance.ts';
import { isEmptyUnlogged } from './unlogged-recovery.ts';

export class PostgresWarehouse extends SqlWarehouse {
  readonly engine: WarehouseEngine = 'postgres';
  readonly capabilities: WarehouseCapabilities;
  readonly description: string;
  readonly dispatchOrder: readonly string[] = ['postgres'];

  constructor(
    protected readonly pool: PgPoolLike,
    protected readonly connection: ConnectionInfo,
    serverVersionNum = 150000,
    readonly events: EventSink = NO_EVENTS,
  ) {
    super();
    this.description = `${this.engineName()} ${connection.host}:${connection.port}/${connection.database}`;
    this.capabilities = this.capabilitiesFor(serverVersionNum);
  }

  protected engineName(): string {
    return 'postgres';
  }

  protected capabilitiesFor(serverVersionNum: number): WarehouseCapabilities {
    return { ...DEFAULT_CAPABILITIES, supportsMerge: serverVersionNum >= 150000, filtersLoadedRows: true };
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
    const warehouse = new PostgresWarehouse(pool, connection, version, options.events);
    warehouse.password = options.password ?? urlPassword;
    return warehouse;
  }

  /** Kept for the connections of the writer lock and of cancels (cancel-on-abort.ts); never printed. */
  protected password: string | undefined;

  override acquireWriterLock(options: WriterLockOptions): Promise<WarehouseWriterLock> {
    return acquireAdvisoryWriterLock(this.connection, this.password, options);
  }

  override joinWriterLock(options: JoinWriterLockOptions): Promise<WarehouseWriterLock> {
    return joinAdvisoryWriterLock(this.connection, this.password, options);
  }

  /**
   * `fn` on a pooled client. Under an aborted signal (statement-signal.ts) the client's backend is cancelled, the
   * operation fails with the signal's reason, and the client is closed rather than reused (its transaction, if
   * `fn` could not roll it back, ends with it).
   */
  protected async withClient<T>(fn: (client: PgClientLike) => Promise<T>): Promise<T> {
    const signal = statementSignal();
    signal?.throwIfAborted();
    const client = await this.pool.connect();
    const cancelling =
      signal && client.processID
        ? cancelOnAbort(signal, client.processID, this.connection, this.password)
        : undefined;
    try {
      return await fn(client);
    } catch (error) {
      throw abortedOr(signal, error);
    } finally {
      cancelling?.stop();
      client.release(signal?.aborted === true);
    }
  }

  protected withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.withClient((client) => fn(postgresSession(this, client)));
  }

  transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.transactionOnClient((_client, session) => fn(session));
  }

  /** {@link transaction}, also handing over the raw client (COPY streams need it). */
  protected transactionOnClient<T>(
    fn: (client: pg.PoolClient, session: SqlSession) => Promise<T>,
  ): Promise<T> {
    return this.withClient(async (client) => {
      const session = postgresSession(this, client);
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

  /** Whether the engine has functions that read the server's files, which `query` must not reach. */
  protected readonly guardsServerFiles: boolean = true;

  queryReadOnly(sql: string): Promise<QueryResult> {
    return this.withClient((client) => queryReadOnly(this, client, sql, this.guardsServerFiles));
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

  protected override async dropForReplace(
    session: SqlSession,
    target: Relation,
  ): Promise<() => Promise<void>> {
    const kind = await this.relationKindIn(session, target);
    if (!kind) return async () => undefined;
    return dropKeepingDependentViews(session, this, target, this.dropSql(target, kind));
  }

  /**
   * A table of copied files (`rebuildFrom`) is UNLOGGED; a partial load that finds it emptied by a crash
   * rebuilds it from all its files (unlogged-recovery.ts).
   */
  async loadFiles(options: LoadFilesOptions): Promise<LoadResult> {
    let { files, replace = { kind: 'all' }, only } = options;
    const partial = replace.kind === 'in' || replace.kind === 'key';
    if (options.rebuildFrom && partial && (await isEmptyUnlogged(this, options.target))) {
      files = typeof options.rebuildFrom === 'function' ? await options.rebuildFrom() : options.rebuildFrom;
      replace = { kind: 'all' };
      only = undefined;
    }
    const read: ReaderFor = options.format === 'parquet' ? parquetReader : jsonReader;
    const readerFor: ReaderFor = only
      ? (paths) => `(select * from ${read(paths)} where ${this.equalsSql(only)})`
      : read;
    const rows = await loadWithDuckdb(this.bulkLoadHost(), options.target, files, readerFor, {
      replace,
      key: replace.kind === 'key' ? this.replacementKey(options) : options.key,
      statisticsColumns: options.statisticsColumns,
      unlogged: options.rebuildFrom !== undefined,
      ...(options.alsoExecute ? { alsoExecute: options.alsoExecute } : {}),
    });
    return { relation: options.target, rows };
  }

  private bulkLoadHost(): BulkLoadHost {
    return {
      events: this.events,
      quoteIdentifier: (name) => this.quoteIdentifier(name),
      quoteRelation: (relation) => this.quoteRelation(relation),
      quoteLiteral: (value) => this.quoteLiteral(value),
      ensureSchema: (schema) => this.ensureSchema(schema),
      relationKind: (relation) => this.relationKind(relation),
      execute: (sql) => this.execute(sql),
      transaction: (fn) => this.transaction(fn),
      transactionOnClient: (fn) => this.transactionOnClient(fn),
      dropForReplace: (session, target) => this.dropForReplace(session, target),
      dropTableSql: (target) => this.dropSql(target, 'table'),
      columnsIn: (session, target) => this.columnsIn(session, target),
    };
  }

  /**
   * An UNLOGGED table of the subset, not a view: a run's models and tests read it about six times, and each
   * read of a view would scan all of `from`. Built in one scan; a copy, so a crash that empties it costs
   * nothing (each run rebuilds it).
   */
  override async exposeSubset(target: Relation, subset: Subset): Promise<void> {
    await this.ensureSchema(target.schema);
    await this.transaction(async (session) => {
      const restore = await this.dropForReplace(session, target);
      await session.execute(
        `create unlogged table ${this.quoteRelation(target)} as ${this.subsetSelect(subset, this.quoteRelation(subset.from))}`,
      );
      await restore();
    });
    await this.execute(`analyze ${this.quoteRelation(target)}`);
  }

  async exportParquet(relation: Relation, file: string): Promise<void> {
    await this.withClient((client) => exportPostgresParquet(client as pg.PoolClient, this, relation, file));
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

  /** Nothing else reclaims the rows a daily run deletes where autovacuum is off (table-maintenance.ts). */
  protected async reclaimDeadRows(target: Relation): Promise<void> {
    await reclaimDeadRows(this, this, target);
  }

  /** DELETE … RETURNING inside a WITH (Redshift has neither). */
  protected readonly deleteReturning: boolean = true;

  /**
   * With recordChanges, each delete records the rows it removes itself (`with deleted as (delete … returning …)
   * insert …`) instead of a join that finds them first and a delete after it.
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
    const restore = await this.appendToChangesTable(session, target, batch, record);
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

  async close(): Promise<void> {
    await this.pool.end();
  }
}
