/**
 * The web app's own in-memory DuckDB over the lake's gold marts and quarantine. It never opens the warehouse
 * file (the embedded warehouse allows one writing process, and a run must never wait for the dashboard, nor
 * the dashboard for a run) and never takes the writer lease. Before a query runs, each table it names is
 * compared with its committed files in the lake and reloaded when a commit replaced them, so a finished run
 * shows on the next page load. Queries are fixed SQL files (./sql) with named parameters: nothing of a request
 * becomes SQL.
 */
import { readFileSync } from 'node:fs';
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { duckdbValue } from '../../warehouse/duckdb/duckdb-value.ts';
import type { WarehouseRow } from '../../warehouse/warehouse.ts';
import type { LakeFiles } from './lake-files.ts';

/** The gold marts the pages read (DESIGN.md §6), one Parquet file each. */
export const GOLD_MARTS = [
  'mart_sales_daily',
  'mart_fraud_daily',
  'mart_merchant_daily',
  'mart_rfm_customer',
  'mart_customer_ltv',
  'mart_cohort_retention',
] as const;
export type GoldMart = (typeof GOLD_MARTS)[number];

/** A mart a query needs has no gold file yet: the pages show their "no data yet" state. */
export class NoDataYet extends Error {
  override name = 'NoDataYet';
  constructor(readonly missing: string[]) {
    super(`no gold data yet (${missing.join(', ')})`);
  }
}

/** The quarantine as a table even before any record was quarantined, so its queries return no rows. */
const EMPTY_QUARANTINE =
  'create or replace table quarantine (run_id varchar, ingest_date date, source_file varchar, line bigint, ' +
  'reason_codes varchar[], raw_record varchar)';

const SQL_FOLDER = new URL('./sql/', import.meta.url);
const sqlFiles = new Map<string, string>();

/** The text of `sql/<name>.sql`, read once. */
export function sqlFile(name: string): string {
  let sql = sqlFiles.get(name);
  if (sql === undefined) {
    sql = readFileSync(new URL(`${name}.sql`, SQL_FOLDER), 'utf8');
    sqlFiles.set(name, sql);
  }
  return sql;
}

export type QueryParams = Record<string, DuckDBValue>;

export class GoldDatabase {
  private readonly loaded = new Map<string, string>();
  private readonly refreshes = new Map<string, Promise<void>>();
  private readonly idle: DuckDBConnection[] = [];

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly lake: LakeFiles,
  ) {}

  static async open(lake: LakeFiles): Promise<GoldDatabase> {
    // The marts are small summaries: a modest bound keeps the server light beside a running pipeline.
    const instance = await DuckDBInstance.create(':memory:', { memory_limit: '512MB', threads: '2' });
    const database = new GoldDatabase(instance, lake);
    await database.withConnection((connection) => connection.run(EMPTY_QUARANTINE));
    return database;
  }

  /**
   * Runs a fixed query after bringing every table it names up to date with the lake. Throws {@link NoDataYet}
   * when a mart it needs has no gold file.
   */
  async query(sql: string, params: QueryParams = {}): Promise<WarehouseRow[]> {
    await Promise.all(tablesNamedIn(sql).map((table) => this.refresh(table)));
    return this.withConnection(async (connection) => {
      const reader = await connection.runAndReadAll(sql, params);
      const columns = reader.columnNames();
      const types = reader.columnTypes();
      return reader.getRows().map((values) => {
        const row: WarehouseRow = {};
        values.forEach((value, i) => {
          row[columns[i]!] = duckdbValue(value, types[i]!);
        });
        return row;
      });
    });
  }

  close(): void {
    for (const connection of this.idle.splice(0)) connection.closeSync();
    this.instance.closeSync();
  }

  /** One refresh of a table at a time; each request re-reads the table's committed snapshot (a listing). */
  private refresh(table: string): Promise<void> {
    const run = () => this.reload(table);
    const next = (this.refreshes.get(table) ?? Promise.resolve()).then(run, run);
    this.refreshes.set(
      table,
      next.catch(() => undefined),
    );
    return next;
  }

  private async reload(table: string): Promise<void> {
    if (table === 'quarantine') {
      const files = await this.lake.quarantineFiles();
      if (this.loaded.get(table) === files.version) return;
      const paths = await files.localPaths();
      await this.withConnection((connection) =>
        connection.run(
          paths.length === 0
            ? EMPTY_QUARANTINE
            : `create or replace table quarantine as select * from ${parquetOf(paths, true)}`,
        ),
      );
      this.loaded.set(table, files.version);
      return;
    }
    const files = await this.lake.goldMart(table);
    if (!files) {
      if (this.loaded.delete(table))
        await this.withConnection((connection) => connection.run(`drop table if exists ${table}`));
      throw new NoDataYet([table]);
    }
    if (this.loaded.get(table) === files.version) return;
    const paths = await files.localPaths();
    await this.withConnection((connection) =>
      connection.run(`create or replace table ${table} as select * from ${parquetOf(paths, false)}`),
    );
    this.loaded.set(table, files.version);
  }

  /** Connections of one instance share its tables; each query gets one to itself. */
  private async withConnection<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const connection = this.idle.pop() ?? (await this.instance.connect());
    try {
      return await fn(connection);
    } finally {
      this.idle.push(connection);
    }
  }
}

const LOADABLE = [...GOLD_MARTS, 'quarantine'];

/** The gold tables and the quarantine a query reads, found by name in its text. */
function tablesNamedIn(sql: string): string[] {
  return LOADABLE.filter((table) => new RegExp(`\\b${table}\\b`).test(sql));
}

/** Paths come from the lake's snapshots, never from a request; quoted as SQL string literals all the same. */
function parquetOf(paths: string[], unionByName: boolean): string {
  const list = paths.map((path) => `'${path.replaceAll("'", "''")}'`).join(', ');
  return `read_parquet([${list}]${unionByName ? ', union_by_name = true' : ''})`;
}
