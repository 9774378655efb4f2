/**
 * The defaults every engine shares: the high-level operations written once in portable SQL on top of two
 * primitives an engine supplies (a session and a transaction). An engine overrides a method only where its
 * SQL differs (Redshift's CREATE TABLE … DISTKEY, PostgreSQL's DROP … CASCADE), like Kysely's adapters.
 */
import { randomBytes } from 'node:crypto';
import { type ColumnSpec, type ColumnType, standardSqlType } from '../core/column-type.ts';
import { PipelineError } from '../core/errors.ts';
import { boundToSignal } from './statement-signal.ts';
import type {
  ColumnEquals,
  ColumnInfo,
  DeleteInsertOptions,
  JoinWriterLockOptions,
  LoadFilesOptions,
  LoadResult,
  ParquetFiles,
  QueryResult,
  Relation,
  SqlSession,
  Subset,
  TableOptions,
  Warehouse,
  WarehouseCapabilities,
  WarehouseEngine,
  WarehouseWriterLock,
  WriterLockOptions,
} from './warehouse.ts';

const INSERT_BATCH_ROWS = 500;

/** What a portable SQL engine can do; each engine spreads these and overrides the flags it differs on. */
export const DEFAULT_CAPABILITIES: WarehouseCapabilities = {
  supportsMerge: false,
  readsParquetDirectly: false,
  filtersLoadedRows: false,
  columnar: false,
  prunesMaterializedCte: false,
  supportsCopyFromObjectStore: false,
};

export abstract class SqlWarehouse implements Warehouse {
  abstract readonly engine: WarehouseEngine;
  abstract readonly capabilities: WarehouseCapabilities;
  abstract readonly description: string;
  abstract readonly dispatchOrder: readonly string[];

  /** Runs `fn` on a session outside any explicit transaction (each statement commits on its own). */
  protected abstract withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  abstract transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  abstract queryReadOnly(sql: string): Promise<QueryResult>;
  abstract loadFiles(options: LoadFilesOptions): Promise<LoadResult>;
  abstract exportParquet(relation: Relation, file: string): Promise<void>;

  /** Engines that read and write local files cannot write to S3 themselves: the caller exports and uploads. */
  async unloadParquet(relation: Relation, prefix: string): Promise<void> {
    throw new PipelineError(
      `${this.engine} cannot write ${relation.schema}.${relation.name} to ${prefix} itself; export it to a local file`,
    );
  }
  abstract close(): Promise<void>;

  /** DuckDB's default: the file lock already keeps every other process out while this one has it open. */
  async acquireWriterLock(_options: WriterLockOptions): Promise<WarehouseWriterLock> {
    return { lost: new AbortController().signal, release: async () => undefined };
  }

  /** Nothing to join where the lock is a no-op. */
  async joinWriterLock(_options: JoinWriterLockOptions): Promise<WarehouseWriterLock> {
    return { lost: new AbortController().signal, release: async () => undefined };
  }

  withSignal(signal: AbortSignal): Warehouse {
    return boundToSignal<Warehouse>(this, signal);
  }

  execute(sql: string): Promise<void> {
    return this.withSession((session) => session.execute(sql));
  }

  query(sql: string): Promise<QueryResult> {
    return this.withSession((session) => session.query(sql));
  }

  quoteIdentifier(name: string): string {
    return `"${name.replaceAll('"', '""')}"`;
  }

  quoteRelation(relation: Relation): string {
    return `${this.quoteIdentifier(relation.schema)}.${this.quoteIdentifier(relation.name)}`;
  }

  quoteLiteral(value: string): string {
    return `'${value.replaceAll("'", "''")}'`;
  }

  /** A name as it stands when it needs no quotes (lower-case letters, digits, `_`), else quoted. */
  protected plainIdentifier(name: string): string {
    return /^[a-z_][a-z0-9_]*$/.test(name) ? name : this.quoteIdentifier(name);
  }

  /** The engine's spelling of a declared column type; Redshift sizes VARCHARs. */
  protected columnTypeSql(type: ColumnType): string {
    return standardSqlType(type);
  }

  /** `column = cast('value' as type)`, or `column in (cast(…), …)` for a list of values. */
  protected equalsSql(filter: ColumnEquals): string {
    const type = this.columnTypeSql(filter.type);
    const cast = (value: string) => `cast(${this.quoteLiteral(value)} as ${type})`;
    const column = this.plainIdentifier(filter.column);
    if (typeof filter.equals === 'string') return `${column} = ${cast(filter.equals)}`;
    if (filter.equals.length === 0) return '1 = 0';
    return `${column} in (${filter.equals.map(cast).join(', ')})`;
  }

  async ensureSchema(schema: string): Promise<void> {
    await this.execute(`create schema if not exists ${this.quoteIdentifier(schema)}`);
  }

  relationKind(relation: Relation): Promise<'table' | 'view' | undefined> {
    return this.withSession((session) => this.relationKindIn(session, relation));
  }

  protected async relationKindIn(
    session: SqlSession,
    relation: Relation,
  ): Promise<'table' | 'view' | undefined> {
    const { rows } = await session.query(
      `select table_type from information_schema.tables where table_schema = ${this.quoteLiteral(relation.schema)} and table_name = ${this.quoteLiteral(relation.name)}`,
    );
    const type = rows[0]?.['table_type'];
    if (type === undefined) return undefined;
    return String(type).toUpperCase().includes('VIEW') ? 'view' : 'table';
  }

  columns(relation: Relation): Promise<ColumnInfo[]> {
    return this.withSession((session) => this.columnsIn(session, relation));
  }

  protected async columnsIn(session: SqlSession, relation: Relation): Promise<ColumnInfo[]> {
    const { rows } = await session.query(
      `select column_name, data_type from information_schema.columns where table_schema = ${this.quoteLiteral(relation.schema)} and table_name = ${this.quoteLiteral(relation.name)} order by ordinal_position`,
    );
    return rows.map((row) => ({
      name: String(row['column_name']),
      type: String(row['data_type']).toLowerCase(),
    }));
  }

  async createTable(
    target: Relation,
    columns: ColumnSpec[],
    options: TableOptions & { primaryKey?: string[] } = {},
  ): Promise<void> {
    await this.ensureSchema(target.schema);
    await this.execute(this.createTableSql(target, columns, options));
  }

  /**
   * `create table if not exists` from declared columns, one a line; the primary key's columns are NOT NULL.
   * Engines add physical attributes after the closing parenthesis ({@link tableAttributesSql}).
   */
  protected createTableSql(
    target: Relation,
    columns: ColumnSpec[],
    options: TableOptions & { primaryKey?: string[] },
  ): string {
    const key = options.primaryKey ?? [];
    const lines = columns.map(
      (column) =>
        `  ${this.plainIdentifier(column.name)} ${this.columnTypeSql(column.type)}${key.includes(column.name) ? ' not null' : ''}`,
    );
    if (key.length) lines.push(`  primary key (${key.map((name) => this.plainIdentifier(name)).join(', ')})`);
    const attributes = this.tableAttributesSql(options);
    return `create table if not exists ${this.quoteRelation(target)} (\n${lines.join(',\n')}\n)${attributes ? `\n${attributes}` : ''}`;
  }

  /** What follows a CREATE TABLE's column list: nothing here; Redshift's DISTKEY/DISTSTYLE and SORTKEY. */
  protected tableAttributesSql(_options: TableOptions): string {
    return '';
  }

  /** The key a `replace: key` load matches on; a load without one is refused rather than appended. */
  protected replacementKey(options: LoadFilesOptions): string[] {
    if (!options.key?.length) {
      throw new Error(
        `loading ${options.target.schema}.${options.target.name} by key needs the table's key (options.key)`,
      );
    }
    return options.key;
  }

  /** Engines that read Parquet in place override this (DuckDB). */
  createFileView(target: Relation, _files: ParquetFiles): Promise<void> {
    return Promise.reject(
      new Error(`${this.description} cannot read files in place (${target.schema}.${target.name})`),
    );
  }

  /** A view of the subset; engines that read it faster otherwise override this. */
  async exposeSubset(target: Relation, subset: Subset): Promise<void> {
    await this.createView(target, this.subsetSelect(subset, this.quoteRelation(subset.from)));
  }

  /** The rows of the subset, read from `source` (its relation, or a reader of its files). */
  protected subsetSelect(subset: Subset, source: string): string {
    return `select * from ${source} where ${this.equalsSql(subset.where)}`;
  }

  /** The statement that creates `target` from a query; Redshift adds distribution and sort keys. */
  protected createTableAsSql(target: Relation, selectSql: string, _options: TableOptions): string {
    return `create table ${this.quoteRelation(target)} as ${selectSql}`;
  }

  /**
   * Drops `target` (whatever its kind) so a new relation can take its name, inside the caller's transaction.
   * Returns what to run once the new relation exists: nothing here; PostgreSQL recreates the dependent views
   * its DROP … CASCADE removed, so rebuilding one model never loses the views built on it.
   */
  protected async dropForReplace(session: SqlSession, target: Relation): Promise<() => Promise<void>> {
    const kind = await this.relationKindIn(session, target);
    if (kind) await session.execute(this.dropSql(target, kind));
    return async () => undefined;
  }

  /** The statement that drops a relation of a known kind; PostgreSQL cascades to dependent views. */
  protected dropSql(target: Relation, kind: 'table' | 'view'): string {
    return `drop ${kind} if exists ${this.quoteRelation(target)}`;
  }

  async createTableAs(target: Relation, selectSql: string, options: TableOptions = {}): Promise<void> {
    await this.ensureSchema(target.schema);
    const beside: Relation = { schema: target.schema, name: `${target.name}__fintech_new` };
    await this.execute(this.dropSql(beside, 'table'));
    await this.execute(this.createTableAsSql(beside, selectSql, options));
    await this.swapIn(beside, target);
  }

  async createTableFromRows(
    target: Relation,
    columns: ColumnInfo[],
    rows: (string | null)[][],
  ): Promise<void> {
    await this.ensureSchema(target.schema);
    const beside: Relation = { schema: target.schema, name: `${target.name}__fintech_new` };
    await this.execute(this.dropSql(beside, 'table'));
    const list = columns.map((column) => `${this.quoteIdentifier(column.name)} ${column.type}`).join(', ');
    await this.execute(`create table ${this.quoteRelation(beside)} (${list})`);
    await this.insertRows(
      beside,
      columns.map((column) => column.name),
      rows,
    );
    await this.swapIn(beside, target);
  }

  /** Replaces `target` by the finished `beside` table in one transaction. */
  private async swapIn(beside: Relation, target: Relation): Promise<void> {
    await this.transaction(async (session) => {
      const restore = await this.dropForReplace(session, target);
      await session.execute(
        `alter table ${this.quoteRelation(beside)} rename to ${this.quoteIdentifier(target.name)}`,
      );
      await restore();
    });
  }

  async createView(target: Relation, selectSql: string): Promise<void> {
    await this.ensureSchema(target.schema);
    await this.transaction(async (session) => {
      const restore = await this.dropForReplace(session, target);
      await session.execute(`create view ${this.quoteRelation(target)} as ${selectSql}`);
      await restore();
    });
  }

  async insertInto(target: Relation, selectSql: string): Promise<void> {
    await this.transaction(async (session) => {
      const columns = await this.columnsIn(session, target);
      await session.execute(this.insertSelectSql(target, columns, selectSql));
    });
  }

  private insertSelectSql(target: Relation, columns: ColumnInfo[], selectSql: string): string {
    const list = columns.map((column) => this.quoteIdentifier(column.name)).join(', ');
    return `insert into ${this.quoteRelation(target)} (${list}) select ${list} from (${selectSql}) as fintech_source`;
  }

  async deleteInsert(
    target: Relation,
    selectSql: string,
    keyColumns: string[],
    options: DeleteInsertOptions = {},
  ): Promise<void> {
    const batch = this.batchTableName();
    await this.transaction(async (session) => {
      await session.execute(`create temporary table ${batch} as ${selectSql}`);
      await this.replaceFromBatch(session, target, batch, keyColumns, options);
      await session.execute(`drop table ${batch}`);
    });
  }

  /** A fresh name for the temporary table holding what a delete+insert puts in. */
  protected batchTableName(): string {
    return this.quoteIdentifier(`fintech_batch_${randomBytes(4).toString('hex')}`);
  }

  /** The body of a delete+insert, inside the caller's transaction: deletes what the batch replaces, inserts it. */
  protected async replaceFromBatch(
    session: SqlSession,
    target: Relation,
    batch: string,
    keyColumns: string[],
    options: DeleteInsertOptions = {},
  ): Promise<void> {
    const columns = await this.columnsIn(session, target);
    await this.deleteReplacedRows(session, target, batch, keyColumns, options);
    await session.execute(this.insertSelectSql(target, columns, `select * from ${batch}`));
  }

  /**
   * Empties what `alsoDeleteWhere` selects and every key of the temporary table `batch` in `target`; with
   * options.recordChanges, first adds to that table the given columns of the rows the batch inserts and of
   * those about to be deleted (found by the same predicates and join as the deletes).
   */
  protected async deleteReplacedRows(
    session: SqlSession,
    target: Relation,
    batch: string,
    keyColumns: string[],
    options: DeleteInsertOptions,
  ): Promise<void> {
    const alsoDeleteWhere = options.alsoDeleteWhere ?? [];
    const table = this.quoteRelation(target);
    const record = options.recordChanges;
    if (record) {
      const restore = await this.appendToChangesTable(session, target, batch, record);
      const columns = this.columnList(record.columns);
      for (const where of alsoDeleteWhere) {
        await session.execute(
          `insert into ${this.quoteRelation(record.relation)} select ${columns} from ${table} where ${where}`,
        );
      }
      const { keys, match } = this.batchKeys(batch, keyColumns);
      await session.execute(
        `insert into ${this.quoteRelation(record.relation)} select ${this.columnList(record.columns, 'fintech_target')} from ${table} as fintech_target join ${keys} on ${match}`,
      );
      await restore();
    }
    // Trap: separate deletes, not one `exists (…) or (…)`: PostgreSQL runs an EXISTS under OR as a subplan,
    // hashed only while the batch's keys fit in work_mem and else one scan of the batch per target row; a join
    // of the distinct keys spills instead.
    for (const where of alsoDeleteWhere) {
      await session.execute(`delete from ${table} where ${where}`);
    }
    for (const statement of this.deleteKeysSql(target, batch, keyColumns)) {
      await session.execute(statement);
    }
  }

  /**
   * Adds `record.columns` of the rows of `batch` (what a delete+insert inserts) to the table `record.relation`,
   * creating it when missing (it takes their types). A view there is a full build's record (every row of
   * `target` changed): it becomes a table of those rows first, so that record holds until it is consumed.
   * Returns what to run once the caller has added the deleted rows.
   */
  protected async appendToChangesTable(
    session: SqlSession,
    target: Relation,
    batch: string,
    record: { relation: Relation; columns: string[] },
  ): Promise<() => Promise<void>> {
    const kind = await this.relationKindIn(session, record.relation);
    const columns = this.columnList(record.columns);
    const changes = this.quoteRelation(record.relation);
    if (kind === 'table') {
      await session.execute(`insert into ${changes} select ${columns} from ${batch}`);
      return async () => undefined;
    }
    const restore = await this.dropForReplace(session, record.relation);
    const earlier = kind === 'view' ? `select ${columns} from ${this.quoteRelation(target)} union all ` : '';
    await session.execute(`create table ${changes} as ${earlier}select ${columns} from ${batch}`);
    return restore;
  }

  /** Quoted column names, each qualified by `alias` when given. */
  protected columnList(columns: string[], alias?: string): string {
    return columns.map((column) => (alias ? `${alias}.` : '') + this.quoteIdentifier(column)).join(', ');
  }

  /** Deletes the rows of `target` whose keys are in the temporary table `batch`: a join of its distinct keys. */
  protected deleteKeysSql(target: Relation, batch: string, keyColumns: string[]): string[] {
    const { keys, match } = this.batchKeys(batch, keyColumns);
    return [`delete from ${this.quoteRelation(target)} as fintech_target using ${keys} where ${match}`];
  }

  /** The distinct keys of `batch` as `fintech_batch`, and their match with the target aliased `fintech_target`. */
  protected batchKeys(batch: string, keyColumns: string[]): { keys: string; match: string } {
    const quoted = keyColumns.map((key) => this.quoteIdentifier(key));
    return {
      keys: `(select distinct ${quoted.join(', ')} from ${batch}) as fintech_batch`,
      match: quoted.map((key) => `fintech_batch.${key} = fintech_target.${key}`).join(' and '),
    };
  }

  async merge(target: Relation, selectSql: string, uniqueKey: string[]): Promise<void> {
    if (!this.capabilities.supportsMerge) {
      throw new Error(`${this.description} has no MERGE; use deleteInsert by the unique key`);
    }
    await this.transaction(async (session) => {
      const columns = (await this.columnsIn(session, target)).map((column) =>
        this.quoteIdentifier(column.name),
      );
      const keys = new Set(uniqueKey.map((key) => this.quoteIdentifier(key)));
      const on = [...keys].map((key) => `fintech_target.${key} = fintech_source.${key}`).join(' and ');
      const updates = columns
        .filter((column) => !keys.has(column))
        .map((column) => `${column} = fintech_source.${column}`);
      const whenMatched = updates.length ? ` when matched then update set ${updates.join(', ')}` : '';
      await session.execute(
        `merge into ${this.quoteRelation(target)} as fintech_target using (${selectSql}) as fintech_source on ${on}${whenMatched} when not matched then insert (${columns.join(', ')}) values (${columns.map((column) => `fintech_source.${column}`).join(', ')})`,
      );
    });
  }

  async drop(target: Relation): Promise<void> {
    await this.transaction(async (session) => {
      const kind = await this.relationKindIn(session, target);
      if (kind) await session.execute(this.dropSql(target, kind));
    });
  }

  async insertRows(
    target: Relation,
    columns: string[],
    rows: (string | number | boolean | null)[][],
  ): Promise<void> {
    if (rows.length === 0) return;
    const list = columns.map((column) => this.quoteIdentifier(column)).join(', ');
    await this.transaction(async (session) => {
      // Multi-row VALUES types its columns from the literals, so each literal is cast to its column's type.
      const types = new Map(
        (await this.columnsIn(session, target)).map((column) => [column.name, column.type]),
      );
      const casts = columns.map((column) => types.get(column) ?? 'varchar');
      for (let start = 0; start < rows.length; start += INSERT_BATCH_ROWS) {
        const values = rows
          .slice(start, start + INSERT_BATCH_ROWS)
          .map(
            (row) => `(${row.map((value, i) => `cast(${this.literal(value)} as ${casts[i]})`).join(', ')})`,
          )
          .join(',\n');
        await session.execute(`insert into ${this.quoteRelation(target)} (${list}) values ${values}`);
      }
    });
  }

  protected literal(value: string | number | boolean | null): string {
    if (value === null) return 'null';
    if (typeof value === 'string') return this.quoteLiteral(value);
    return String(value);
  }
}
