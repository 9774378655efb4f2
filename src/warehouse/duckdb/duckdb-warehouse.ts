/**
 * The embedded default warehouse: one DuckDB file under home. DuckDB reads silver Parquet itself, so "loading"
 * silver is a view over the lake's files and costs nothing. Statements run one at a time on one connection
 * (DuckDB parallelises each statement over its own threads), which also keeps transactions from interleaving.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, StatementType } from '@duckdb/node-api';
import type { DuckDBWarehouseSettings } from '../../config/load-config.ts';
import { PipelineError, UsageError } from '../../core/errors.ts';
import { abortedOr, interruptOnAbort } from '../../core/interrupt-on-abort.ts';
import { type EventSink, NO_EVENTS } from '../../core/pipeline-event.ts';
import { DEFAULT_CAPABILITIES, SqlWarehouse } from '../sql-warehouse.ts';
import { statementSignal, withoutSignal } from '../statement-signal.ts';
import { timedSession } from '../timed-session.ts';
import {
  type DeleteInsertOptions,
  type LoadFilesOptions,
  type LoadResult,
  type ParquetFiles,
  type QueryResult,
  ReadOnlyViolation,
  type Relation,
  type RowReplacement,
  type SqlSession,
  type Subset,
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
    ...DEFAULT_CAPABILITIES,
    supportsMerge: true,
    readsParquetDirectly: true,
    filtersLoadedRows: true,
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
    events: EventSink,
  ) {
    super();
    this.description = `duckdb ${path}`;
    this.session = timedSession(
      {
        execute: async (sql) => {
          await interruptibly(connection, () => connection.run(sql));
        },
        query: (sql) => interruptibly(connection, () => runQuery(connection, sql)),
      },
      events,
      this.engine,
    );
  }

  /**
   * Opens (creating if needed) the DuckDB file at `path`, or `:memory:`, with the memory limit, threads and spill
   * folder of `settings` (DuckDB's defaults for what is not given: 80% of the machine's memory, every core).
   * Every statement is reported to `events`.
   */
  static async open(
    path: string,
    settings: Partial<DuckDBWarehouseSettings> = {},
    events: EventSink = NO_EVENTS,
  ): Promise<DuckDBWarehouse> {
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
      return new DuckDBWarehouse(instance, connection, path, events);
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
    allowedDirectories: readonly string[],
    events: EventSink = NO_EVENTS,
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
    return new DuckDBWarehouse(instance, connection, path, events);
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
        return readResult(await interruptibly(this.connection, () => prepared.runAndReadAll()));
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
   * transaction (its transaction-local storage) on one thread. The temporary table is this connection's alone,
   * so nothing else sees it between the two; it is dropped however the transaction ends.
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
      await withoutSignal(() => this.execute(`drop table if exists ${batch}`));
    }
  }

  /**
   * With recordChanges, the rows to delete are found once, with their rowid, then recorded and deleted by it:
   * a delete by rowid costs far less than a second join.
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
    const restore = await this.appendToChangesTable(session, target, batch, record);
    await session.execute(
      `insert into ${this.quoteRelation(record.relation)} select ${columns} from ${found}`,
    );
    await restore();
    await session.execute(`drop table ${found}`);
  }

  /**
   * MERGE's result, applied as a delete of the batch's keys and an insert of the batch: DuckDB's own MERGE and
   * its commit cost more.
   */
  override async merge(target: Relation, selectSql: string, uniqueKey: string[]): Promise<void> {
    await this.deleteInsert(target, selectSql, uniqueKey);
  }

  /**
   * One transaction: a missing table, or `replace: all`, is (re)created from the files; otherwise the rows the
   * replacement selects are deleted and the files' rows inserted by column name. No file: the rows the
   * replacement selects are deleted, nothing is created.
   */
  async loadFiles(options: LoadFilesOptions): Promise<LoadResult> {
    const target = this.quoteRelation(options.target);
    const replace = options.replace ?? { kind: 'all' };
    await this.ensureSchema(options.target.schema);
    const exists = (await this.relationKind(options.target)) !== undefined;
    const files = await this.expandFiles(options.files);
    const reader =
      options.format === 'parquet'
        ? `read_parquet(${this.fileList(files)}, union_by_name = true)`
        : `read_json_auto(${this.fileList(files)}, union_by_name = true)`;
    const rows = options.only ? `(select * from ${reader} where ${this.equalsSql(options.only)})` : reader;
    return this.transaction(async (session) => {
      const loaded = await this.loadInTransaction(session, { target, rows, files, exists, replace, options });
      for (const statement of options.alsoExecute ?? []) await session.execute(statement);
      return { relation: options.target, rows: loaded };
    });
  }

  /** The body of {@link loadFiles} inside its transaction; returns the rows written. */
  private async loadInTransaction(
    session: SqlSession,
    load: {
      target: string;
      rows: string;
      files: string[];
      exists: boolean;
      replace: RowReplacement;
      options: LoadFilesOptions;
    },
  ): Promise<number> {
    const { target, rows, files, exists, replace } = load;
    if (files.length > 0 && (!exists || replace.kind === 'all')) {
      await session.execute(`create or replace table ${target} as select * from ${rows}`);
    } else if (exists) {
      if (replace.kind === 'all') await session.execute(`delete from ${target}`);
      if (replace.kind === 'in') {
        const values = replace.values.map((value) => this.quoteLiteral(value)).join(', ') || 'null';
        await session.execute(
          `delete from ${target} where ${this.quoteIdentifier(replace.column)} in (${values})`,
        );
      }
      if (files.length === 0) return 0;
      if (replace.kind === 'key') {
        const { keys, match } = this.batchKeys(rows, this.replacementKey(load.options));
        await session.execute(`delete from ${target} as fintech_target using ${keys} where ${match}`);
      }
      await session.execute(`insert into ${target} by name select * from ${rows}`);
    } else {
      return 0;
    }
    const { rows: counted } = await session.query(`select count(*) as n from ${rows}`);
    return Number(counted[0]?.['n'] ?? 0);
  }

  /**
   * The files the paths and globs name, sorted; a glob that matches nothing adds none. A path without a
   * wildcard is taken as it is (the lake names exact files, often thousands).
   */
  private async expandFiles(paths: string[]): Promise<string[]> {
    const files: string[] = [];
    for (const path of paths) {
      if (!/[*?[]/.test(path)) {
        files.push(path);
        continue;
      }
      const { rows } = await this.query(`select file from glob(${this.quoteLiteral(path)}) order by file`);
      files.push(...rows.map((row) => String(row['file'])));
    }
    return files;
  }

  private fileList(paths: string[]): string {
    return paths.length === 1
      ? this.quoteLiteral(paths[0]!)
      : `[${paths.map((path) => this.quoteLiteral(path)).join(', ')}]`;
  }

  /**
   * Files that hold the same columns in the same order are read without union_by_name: with it, each read of
   * the view first opens the footer of every file, which after a month of late data is thousands of files. A
   * file without a column then fails the read, naming it.
   */
  private parquetReader(files: ParquetFiles): string {
    return files.sameColumns
      ? `read_parquet(${this.fileList(files.paths)})`
      : `read_parquet(${this.fileList(files.paths)}, union_by_name = true)`;
  }

  override async createFileView(target: Relation, files: ParquetFiles): Promise<void> {
    await this.ensureSchema(target.schema);
    try {
      await this.execute(
        `create or replace view ${this.quoteRelation(target)} as select * from ${this.parquetReader(files)}`,
      );
    } catch (error) {
      throw new PipelineError(
        `cannot read ${files.paths.join(', ')} as ${target.schema}.${target.name}: ${(error as Error).message.split('\n')[0]}`,
      );
    }
  }

  /**
   * A view over only the subset's files: a view over all of `from` opens every one of its files at each read,
   * where the subset (a run's rows) sits in a few hundred. The files may hold other rows, hence the filter.
   */
  override async exposeSubset(target: Relation, subset: Subset): Promise<void> {
    if (!subset.files?.paths.length) return super.exposeSubset(target, subset);
    await this.createView(target, this.subsetSelect(subset, this.parquetReader(subset.files)));
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

/**
 * Runs one statement, interrupted when the calling work's signal aborts (statement-signal.ts); statements run
 * one at a time on the connection, so the interrupt reaches no other work's statement.
 */
async function interruptibly<T>(connection: DuckDBConnection, statement: () => Promise<T>): Promise<T> {
  const signal = statementSignal();
  if (!signal) return statement();
  signal.throwIfAborted();
  const interrupting = interruptOnAbort(signal, () => connection.interrupt());
  try {
    return await statement();
  } catch (error) {
    throw abortedOr(signal, error);
  } finally {
    interrupting.stop();
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
