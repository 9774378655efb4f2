/**
 * The embedded default warehouse: one DuckDB file under home. DuckDB reads silver Parquet itself, so "loading"
 * silver is a view over the lake's files and costs nothing. Statements run one at a time on one connection
 * (DuckDB parallelises each statement over its own threads), which also keeps transactions from interleaving.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, StatementType } from '@duckdb/node-api';
import type { DuckDBWarehouseSettings } from '../../config/load-config.ts';
import { PipelineError, UsageError } from '../../core/errors.ts';
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
  type WarehouseCapabilities,
} from '../warehouse.ts';
import { duckdbValue } from './duckdb-value.ts';

const READ_ONLY_KEYWORDS = new Set([
  'select',
  'with',
  'from',
  'values',
  'table',
  'explain',
  'describe',
  'show',
  'summarize',
  '(',
]);
const READ_ONLY_STATEMENTS = new Set<number>([StatementType.SELECT, StatementType.EXPLAIN]);

export class DuckDBWarehouse extends SqlWarehouse {
  readonly engine = 'duckdb' as const;
  readonly capabilities: WarehouseCapabilities = {
    supportsMerge: true,
    supportsCopyFromObjectStore: false,
    readsParquetDirectly: true,
    supportsDistribution: false,
    transactionalDdl: true,
    columnar: true,
    prunesMaterializedCte: true,
  };
  readonly description: string;
  readonly dispatchOrder = ['duckdb'];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly session: SqlSession;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    path: string,
  ) {
    super();
    this.description = `duckdb ${path}`;
    this.session = timedSession({
      execute: async (sql) => {
        await connection.run(sql);
      },
      query: (sql) => runQuery(connection, sql),
    });
  }

  /**
   * Opens (creating if needed) the DuckDB file at `path`, or `:memory:`, with the memory limit, threads and spill
   * folder of `settings` (DuckDB's defaults for what is not given: 80% of the machine's memory, every core).
   */
  static async open(path: string, settings: Partial<DuckDBWarehouseSettings> = {}): Promise<DuckDBWarehouse> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const options: Record<string, string> = {};
    if (settings.memoryLimit) options['memory_limit'] = settings.memoryLimit;
    if (settings.threads) options['threads'] = String(settings.threads);
    if (settings.tempDirectory) options['temp_directory'] = settings.tempDirectory;
    try {
      const instance = await DuckDBInstance.create(path, options);
      const connection = await instance.connect();
      // Silver is read through views over its Parquet files, several times a run (models, tests): keep the
      // files' footers instead of parsing a few thousand of them for every statement. DuckDB checks each
      // file's modification time, so a partition silver rewrote is read afresh.
      await connection.run('set parquet_metadata_cache = true');
      return new DuckDBWarehouse(instance, connection, path);
    } catch (error) {
      throw new PipelineError(
        `cannot open DuckDB warehouse ${path}: ${(error as Error).message.split('\n')[0]}`,
      );
    }
  }

  /**
   * Opens the DuckDB file for `query`: read-only (a read-only home works, and several readers share the file),
   * with external access off and its configuration locked, so a query reads the warehouse and nothing else on
   * the machine. `allowedDirectories` are the folders it may still read files in: silver, which the staging
   * views read in place (DuckDB keeps its own spill folder allowed too).
   */
  static async openForQuery(
    path: string,
    settings: Partial<DuckDBWarehouseSettings>,
    allowedDirectories: string[],
  ): Promise<DuckDBWarehouse> {
    if (!existsSync(path))
      throw new UsageError(`there is no DuckDB warehouse at ${path} yet: a run creates it`);
    const options: Record<string, string> = { access_mode: 'READ_ONLY' };
    if (settings.memoryLimit) options['memory_limit'] = settings.memoryLimit;
    if (settings.threads) options['threads'] = String(settings.threads);
    if (settings.tempDirectory) options['temp_directory'] = settings.tempDirectory;
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, options);
    } catch (error) {
      throw new PipelineError(
        `cannot open DuckDB warehouse ${path} to read: ${(error as Error).message.split('\n')[0]}`,
      );
    }
    const connection = await instance.connect();
    await connection.run('set parquet_metadata_cache = true');
    // A directory as a prefix: with its trailing slash, `…/silver` does not also allow `…/silver-old`.
    const directories = allowedDirectories.map(
      (dir) => `'${`${dir.replace(/\/+$/, '')}/`.replaceAll("'", "''")}'`,
    );
    await connection.run(`set allowed_directories = [${directories.join(', ')}]`);
    await connection.run('set enable_external_access = false');
    await connection.run('set lock_configuration = true');
    return new DuckDBWarehouse(instance, connection, path);
  }

  /** Serialises work on the single connection; a transaction holds the queue until it ends. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  protected withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.exclusive(() => fn(this.session));
  }

  transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      await this.session.execute('begin transaction');
      try {
        const result = await fn(this.session);
        await this.session.execute('commit');
        return result;
      } catch (error) {
        await this.connection.run('rollback');
        throw error;
      }
    });
  }

  queryReadOnly(sql: string): Promise<QueryResult> {
    const keyword = /^(?:\s+|--[^\n]*\n|\/\*[\s\S]*?\*\/)*([a-z]+|\()/i.exec(sql)?.[1]?.toLowerCase();
    // Checked before preparing, because preparing binds the statement and would report a missing table first.
    if (!keyword || !READ_ONLY_KEYWORDS.has(keyword)) {
      return Promise.reject(
        new ReadOnlyViolation(`only SELECT statements are allowed, got ${keyword ?? 'nothing'}`),
      );
    }
    return this.exclusive(async () => {
      const statements = await this.connection.extractStatements(sql);
      if (statements.count !== 1) throw new ReadOnlyViolation('exactly one statement is allowed');
      try {
        const prepared = await statements.prepare(0);
        if (!READ_ONLY_STATEMENTS.has(prepared.statementType)) {
          throw new ReadOnlyViolation(
            `only SELECT statements are allowed, got ${StatementType[prepared.statementType]}`,
          );
        }
        return readResult(await prepared.runAndReadAll());
      } catch (error) {
        // A session opened by openForQuery refuses every file outside the allowed folders.
        const message = (error as Error).message.split('\n')[0]!;
        if (message.startsWith('Permission Error:')) {
          throw new ReadOnlyViolation(
            `${message.replace('Permission Error: ', '')} (files outside silver cannot be read)`,
          );
        }
        throw error;
      }
    });
  }

  /**
   * The batch is built before the transaction, not in it: DuckDB scans a table created inside the open
   * transaction (its transaction-local storage) on one thread. Measured on the fact of a 1M-row day on top of
   * 30 days: the insert from the batch took 2.3 s (2.3 CPU-s) that way and 1.3 s (2.5 CPU-s) this way. The
   * temporary table is this connection's alone, so nothing else sees it between the two; it is dropped however
   * the transaction ends.
   */
  override async deleteInsert(
    target: Relation,
    selectSql: string,
    keyColumns: string[],
    options: DeleteInsertOptions = {},
  ): Promise<void> {
    const batch = this.batchTableName();
    await this.execute(`create temporary table ${batch} as ${selectSql}`);
    try {
      await this.transaction((session) => this.replaceFromBatch(session, target, batch, keyColumns, options));
    } finally {
      await this.execute(`drop table if exists ${batch}`);
    }
  }

  /**
   * With recordChanges, the rows to delete are found once, with their rowid, then recorded and deleted by it:
   * the same join twice cost more. Measured on the fact of a 1M-row day on top of 30 days (6.8M rows, 2,993 of
   * them replaced): the join that finds them 0.38 s, the delete by rowid 0.02 s against 0.21-0.24 s for a
   * delete by a second join.
   */
  protected override async deleteReplacedRows(
    session: SqlSession,
    target: Relation,
    batch: string,
    keyColumns: string[],
    options: DeleteInsertOptions,
  ): Promise<void> {
    const record = options.recordChanges;
    if (!record) return super.deleteReplacedRows(session, target, batch, keyColumns, options);
    const found = this.quoteIdentifier(`${batch.replaceAll('"', '')}_deleted`);
    const table = this.quoteRelation(target);
    const columns = this.columnList(record.columns);
    const { keys, match } = this.batchKeys(batch, keyColumns);
    await session.execute(
      `create temporary table ${found} as select fintech_target.rowid as fintech_row_id, ${this.columnList(record.columns, 'fintech_target')} from ${table} as fintech_target join ${keys} on ${match}`,
    );
    for (const where of options.alsoDeleteWhere ?? []) {
      await session.execute(
        `insert into ${found} select rowid, ${columns} from ${table} where (${where}) and rowid not in (select fintech_row_id from ${found})`,
      );
    }
    await session.execute(`delete from ${table} where rowid in (select fintech_row_id from ${found})`);
    const restore = await this.createChangesTable(session, batch, record);
    await session.execute(
      `insert into ${this.quoteRelation(record.relation)} select ${columns} from ${found}`,
    );
    await restore();
    await session.execute(`drop table ${found}`);
  }

  /**
   * MERGE's result, applied as a delete of the batch's keys and an insert of the batch: DuckDB's own MERGE was
   * the slower. Measured on the fact of a 1M-row day on top of 30 days (6.8M rows, 4,067 of them replaced):
   * MERGE 2.0 s and its commit 1.7 s (3.7-3.9 s in all, 11.7 CPU-s for the day's models); this way 2.4-2.6 s
   * (9.0 CPU-s for the models).
   */
  override async merge(target: Relation, selectSql: string, uniqueKey: string[]): Promise<void> {
    await this.deleteInsert(target, selectSql, uniqueKey);
  }

  async loadSilver(options: LoadSilverOptions): Promise<LoadSilverResult> {
    const relation: Relation = { schema: 'staging', name: `silver_${options.table}` };
    const files = `${options.lakeRoot.replace(/\/$/, '')}/silver/${options.table}/**/*.parquet`;
    await this.ensureSchema('staging');
    try {
      await this.execute(
        `create or replace view ${this.quoteRelation(relation)} as select * from ${silverReader(options.table, this.quoteLiteral(files))}`,
      );
    } catch (error) {
      throw new PipelineError(
        `cannot read silver ${options.table} from ${files}: ${(error as Error).message.split('\n')[0]}`,
      );
    }
    return { relation, rows: 0 };
  }

  /**
   * A view over only the files the run wrote: the silver view opens every file of silver at each read (about
   * 50 µs a file, some 3,700 files after 30 days with late data), where the models and tests of a run need the
   * few hundred it wrote. Rewritten partitions also hold older rows, hence the ingest date filter.
   */
  override async exposeSilverBatch(batch: SilverBatch): Promise<void> {
    if (batch.files.length === 0) {
      await super.exposeSilverBatch(batch);
      return;
    }
    const files = batch.files.map((file) => this.quoteLiteral(join(batch.lakeRoot, file))).join(', ');
    await this.createView(
      SILVER_BATCH,
      this.silverBatchSelect(batch, silverReader('transactions', `[${files}]`)),
    );
  }

  async loadFiles(options: LoadFilesOptions): Promise<{ rows: number }> {
    const reader =
      options.format === 'parquet'
        ? `read_parquet(${this.quoteLiteral(options.files)}, union_by_name = true)`
        : `read_json_auto(${this.quoteLiteral(options.files)}, union_by_name = true)`;
    const target = this.quoteRelation(options.target);
    await this.ensureSchema(options.target.schema);
    const exists = (await this.relationKind(options.target)) !== undefined;
    return this.transaction(async (session) => {
      if (options.mode === 'append' && exists) {
        await session.execute(`insert into ${target} by name select * from ${reader}`);
      } else {
        await session.execute(`create or replace table ${target} as select * from ${reader}`);
      }
      const { rows } = await session.query(`select count(*) as n from ${reader}`);
      return { rows: Number(rows[0]?.['n'] ?? 0) };
    });
  }

  async exportParquet(relation: Relation, file: string): Promise<void> {
    await this.execute(
      `copy (select * from ${this.quoteRelation(relation)}) to ${this.quoteLiteral(file)} (format parquet)`,
    );
  }

  async close(): Promise<void> {
    await this.queue;
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

async function runQuery(connection: DuckDBConnection, sql: string): Promise<QueryResult> {
  return readResult(await connection.runAndReadAll(sql));
}

function readResult(reader: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>): QueryResult {
  const columns = reader.columnNames();
  const types = reader.columnTypes();
  const rows = reader.getRows().map((values) => {
    const row: Record<string, ReturnType<typeof duckdbValue>> = {};
    values.forEach((value, i) => {
      row[columns[i]!] = duckdbValue(value, types[i]!);
    });
    return row;
  });
  return { columns, rows };
}

/**
 * How the views read silver files. Every silver transaction file holds every column of the contract
 * (src/silver/README.md), which DuckDB matches by name, so those are read without union_by_name: with it each
 * read of the view first opened the footer of every file (some 3,700 after 30 days with late data): 0.7-1.0 s at
 * the view's creation and again at each query; a count of one run's rows took 1.07-1.21 s that way and
 * 0.18-0.25 s this way. A file without a column fails the read, naming it. The entity snapshots (one file a
 * day) keep union_by_name.
 */
function silverReader(table: LoadSilverOptions['table'], files: string): string {
  return table === 'transactions' ? `read_parquet(${files})` : `read_parquet(${files}, union_by_name = true)`;
}
