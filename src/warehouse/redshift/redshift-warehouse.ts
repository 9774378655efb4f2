/**
 * Amazon Redshift: the PostgreSQL warehouse with what differs overridden — loads are `COPY … FROM 's3://…'
 * FORMAT AS PARQUET IAM_ROLE …` straight from the lake, tables carry DISTSTYLE/DISTKEY/SORTKEY from model
 * config, and MERGE takes its source from a temporary table (Redshift refuses a subquery there).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, PipelineError } from '../../core/errors.ts';
import {
  type ConnectionInfo,
  connectPool,
  type OpenPostgresOptions,
  type PgPoolLike,
  PostgresWarehouse,
  parseConnectionUrl,
  serverVersion,
} from '../postgres/postgres-warehouse.ts';
import {
  type LoadFilesOptions,
  type LoadSilverOptions,
  type LoadSilverResult,
  type Relation,
  SILVER_BATCH,
  type SilverBatch,
  silverPartitionColumn,
  type TableOptions,
  type WarehouseCapabilities,
  type WarehouseEngine,
} from '../warehouse.ts';

export interface RedshiftOptions {
  /** IAM role Redshift assumes to read the lake (the `iam_role` query parameter of the warehouse URL). */
  iamRole?: string;
}

export class RedshiftWarehouse extends PostgresWarehouse {
  override readonly engine: WarehouseEngine = 'redshift';
  override readonly dispatchOrder: readonly string[] = ['redshift', 'postgres'];

  constructor(
    pool: PgPoolLike,
    connection: ConnectionInfo,
    private readonly options: RedshiftOptions = {},
  ) {
    super(pool, connection);
  }

  protected override readonly deleteReturning = false;
  /** Redshift has no functions that read the server's files. */
  protected override readonly guardsServerFiles = false;

  protected override engineName(): string {
    return 'redshift';
  }

  protected override capabilitiesFor(): WarehouseCapabilities {
    return {
      supportsMerge: true,
      supportsCopyFromObjectStore: true,
      readsParquetDirectly: false,
      supportsDistribution: true,
      transactionalDdl: true,
      columnar: true,
      prunesMaterializedCte: false,
    };
  }

  /** `redshift://user@cluster:5439/db?iam_role=arn:aws:iam::…:role/…`. */
  static override async open(url: string, options: OpenPostgresOptions = {}): Promise<RedshiftWarehouse> {
    const { password: urlPassword, ...connection } = parseConnectionUrl(url, 5439);
    const iamRole = new URL(url.replace(/^redshift:/, 'http:')).searchParams.get('iam_role') ?? undefined;
    const pool = await connectPool(
      connection,
      options.password ?? urlPassword,
      options.maxConnections,
      'redshift',
    );
    await serverVersion(pool, connection, 'redshift');
    return new RedshiftWarehouse(pool, connection, { iamRole });
  }

  protected override createTableAsSql(target: Relation, selectSql: string, options: TableOptions): string {
    const attributes: string[] = [];
    if (options.distKey)
      attributes.push('diststyle key', `distkey(${this.quoteIdentifier(options.distKey)})`);
    else if (options.distStyle) attributes.push(`diststyle ${options.distStyle}`);
    if (options.sortKey?.length) {
      attributes.push(`sortkey(${options.sortKey.map((key) => this.quoteIdentifier(key)).join(', ')})`);
    }
    const physical = attributes.length ? ` ${attributes.join(' ')}` : '';
    return `create table ${this.quoteRelation(target)}${physical} as ${selectSql}`;
  }

  /**
   * Redshift's DELETE takes no alias for its target and names tables, not subqueries, in USING: the batch's
   * distinct keys go to a temporary table of their own (distinct, so a partition key such as an event date does
   * not join each target row to every batch row of its date).
   */
  protected override deleteKeysSql(target: Relation, batch: string, keyColumns: string[]): string[] {
    const keys = keyColumns.map((key) => this.quoteIdentifier(key));
    const distinct = this.quoteIdentifier(`${batch.replaceAll('"', '')}_keys`);
    const targetSql = this.quoteRelation(target);
    const match = keys.map((key) => `${targetSql}.${key} = ${distinct}.${key}`).join(' and ');
    return [
      `create temporary table ${distinct} as select distinct ${keys.join(', ')} from ${batch}`,
      `delete from ${targetSql} using ${distinct} where ${match}`,
      `drop table ${distinct}`,
    ];
  }

  /** Redshift reclaims deleted rows itself (automatic VACUUM DELETE) and has no autovacuum setting to read. */
  protected override async reclaimDeadRows(): Promise<void> {}

  override async merge(target: Relation, selectSql: string, uniqueKey: string[]): Promise<void> {
    const source = this.quoteIdentifier(`fintech_batch_${randomBytes(4).toString('hex')}`);
    const targetSql = this.quoteRelation(target);
    await this.transaction(async (session) => {
      const columns = (await this.columnsIn(session, target)).map((column) =>
        this.quoteIdentifier(column.name),
      );
      const keys = uniqueKey.map((key) => this.quoteIdentifier(key));
      await session.execute(`create temporary table ${source} as ${selectSql}`);
      const on = keys.map((key) => `${targetSql}.${key} = ${source}.${key}`).join(' and ');
      // Redshift needs both clauses; with only key columns the update is a no-op on the key.
      const updatable = columns.filter((column) => !keys.includes(column));
      const updates = (updatable.length ? updatable : keys).map(
        (column) => `${column} = ${source}.${column}`,
      );
      await session.execute(
        `merge into ${targetSql} using ${source} on ${on} when matched then update set ${updates.join(', ')} when not matched then insert (${columns.join(', ')}) values (${columns.map((column) => `${source}.${column}`).join(', ')})`,
      );
      await session.execute(`drop table ${source}`);
    });
  }

  private copySql(target: Relation, from: string, format: 'parquet' | 'json'): string {
    if (!this.options.iamRole) {
      throw new ConfigError(
        `config key 'warehouse': Redshift loads need an IAM role, add ?iam_role=arn:aws:iam::…:role/… to the URL`,
      );
    }
    const formatSql = format === 'parquet' ? 'format as parquet' : `format as json 'auto'`;
    return `copy ${this.quoteRelation(target)} from ${this.quoteLiteral(from)} iam_role ${this.quoteLiteral(this.options.iamRole)} ${formatSql}`;
  }

  private requireS3(lakeRoot: string): string {
    if (!lakeRoot.startsWith('s3://')) {
      throw new ConfigError(
        `config key 'lake': Redshift loads from S3, so the lake must be s3://… (got ${lakeRoot})`,
      );
    }
    return lakeRoot.replace(/\/$/, '');
  }

  /**
   * Deletes the touched partitions and copies each partition's folder from S3, in one transaction. The table
   * is declared from the silver contract (`silver-ddl/<table>.sql`) when missing: Redshift cannot infer
   * columns from Parquet files.
   */
  override async loadSilver(options: LoadSilverOptions): Promise<LoadSilverResult> {
    const lake = this.requireS3(options.lakeRoot);
    const relation: Relation = { schema: 'staging', name: `silver_${options.table}` };
    const partitionColumn = options.partitionColumn ?? silverPartitionColumn(options.table);
    const prefix = `${lake}/silver/${options.table}/`;
    const table = this.quoteRelation(relation);
    await this.ensureSchema('staging');
    await this.execute(readFileSync(new URL(`./silver-ddl/${options.table}.sql`, import.meta.url), 'utf8'));
    const rows = await this.transaction(async (session) => {
      if (options.partitions === 'all') {
        await session.execute(`delete from ${table}`);
        await session.execute(this.copySql(relation, prefix, 'parquet'));
      } else {
        if (options.partitions.length === 0) return 0;
        const values = options.partitions.map((value) => this.quoteLiteral(value)).join(', ');
        await session.execute(
          `delete from ${table} where ${this.quoteIdentifier(partitionColumn)} in (${values})`,
        );
        for (const value of options.partitions) {
          await session.execute(this.copySql(relation, `${prefix}${partitionColumn}=${value}/`, 'parquet'));
        }
      }
      const { rows: counted } = await session.query('select pg_last_copy_count() as n');
      return Number(counted[0]?.['n'] ?? 0);
    });
    await this.execute(`analyze ${table}`);
    return { relation, rows };
  }

  /** Redshift cannot COPY to a client; its export is UNLOAD to S3, which the gold task does not issue yet. */
  /** A view, as on engines without PostgreSQL's UNLOGGED tables (Redshift has none). */
  override async exposeSilverBatch(batch: SilverBatch): Promise<void> {
    await this.createView(SILVER_BATCH, this.silverBatchSelect(batch));
  }

  override async exportParquet(relation: Relation): Promise<void> {
    throw new PipelineError(
      `exporting ${relation.schema}.${relation.name} to gold needs UNLOAD to S3, which this version does not run on Redshift yet`,
    );
  }

  /** `files` is an S3 prefix here (Redshift COPY takes prefixes, not globs). */
  override async loadFiles(options: LoadFilesOptions): Promise<{ rows: number }> {
    const prefix = options.files.replace(/\*.*$/, '');
    this.requireS3(prefix);
    return this.transaction(async (session) => {
      if (options.mode !== 'append')
        await session.execute(`delete from ${this.quoteRelation(options.target)}`);
      await session.execute(this.copySql(options.target, prefix, options.format));
      const { rows } = await session.query('select pg_last_copy_count() as n');
      return { rows: Number(rows[0]?.['n'] ?? 0) };
    });
  }
}
