/**
 * Amazon Redshift: the PostgreSQL warehouse with what differs overridden — loads are `COPY … FROM 's3://…'
 * FORMAT AS PARQUET IAM_ROLE …` straight from the lake, tables carry DISTSTYLE/DISTKEY/SORTKEY, VARCHARs are
 * sized, MERGE takes its source from a temporary table (Redshift refuses a subquery there), and DELETE takes
 * neither an alias nor a subquery.
 */
import { randomBytes } from 'node:crypto';
import type { ColumnType } from '../../core/column-type.ts';
import { ConfigError, PipelineError } from '../../core/errors.ts';
import type { EventSink } from '../../core/pipeline-event.ts';
import {
  type ConnectionInfo,
  connectPool,
  type OpenPostgresOptions,
  type PgPoolLike,
  parseConnectionUrl,
  serverVersion,
} from '../postgres/connection-pool.ts';
import { PostgresWarehouse } from '../postgres/postgres-warehouse.ts';
import { DEFAULT_CAPABILITIES } from '../sql-warehouse.ts';
import type {
  JoinWriterLockOptions,
  LoadFilesOptions,
  LoadResult,
  Relation,
  Subset,
  TableOptions,
  WarehouseCapabilities,
  WarehouseEngine,
  WarehouseWriterLock,
  WriterLockOptions,
} from '../warehouse.ts';
import { acquireLeaseWriterLock, joinLeaseWriterLock } from './lease-writer-lock.ts';

export interface RedshiftOptions {
  /** IAM role Redshift assumes to read the lake (the `iam_role` query parameter of the warehouse URL). */
  iamRole?: string;
  events?: EventSink;
  /** Where the writer lock's statements go (tests); default: a connection of its own per lock. */
  lockPool?: PgPoolLike;
}

/** Redshift's VARCHAR without a length holds 256 bytes. */
const DEFAULT_VARCHAR_LENGTH = 256;

export class RedshiftWarehouse extends PostgresWarehouse {
  override readonly engine: WarehouseEngine = 'redshift';
  override readonly dispatchOrder: readonly string[] = ['redshift', 'postgres'];

  constructor(
    pool: PgPoolLike,
    connection: ConnectionInfo,
    private readonly options: RedshiftOptions = {},
  ) {
    super(pool, connection, undefined, options.events);
  }

  protected override readonly deleteReturning = false;
  /** Redshift has no functions that read the server's files. */
  protected override readonly guardsServerFiles = false;

  protected override engineName(): string {
    return 'redshift';
  }

  /** Redshift has no advisory locks: the writer lock is a lease row (lease-writer-lock.ts). */
  override acquireWriterLock(options: WriterLockOptions): Promise<WarehouseWriterLock> {
    return this.onLockPool((pool, where) => acquireLeaseWriterLock(pool, where, options));
  }

  override joinWriterLock(options: JoinWriterLockOptions): Promise<WarehouseWriterLock> {
    return this.onLockPool((pool, where) => joinLeaseWriterLock(pool, where, options));
  }

  /**
   * The lock's statements run on a connection of their own, so renewing the lease never waits behind the
   * models' statements for a pooled connection.
   */
  private async onLockPool(
    take: (pool: PgPoolLike, where: string) => Promise<WarehouseWriterLock>,
  ): Promise<WarehouseWriterLock> {
    const { host, port, database } = this.connection;
    const where = `${host}:${port}/${database}`;
    if (this.options.lockPool) return take(this.options.lockPool, where);
    const pool = await connectPool(this.connection, this.password, 1, 'redshift');
    try {
      const lock = await take(pool, where);
      return {
        lost: lock.lost,
        release: async () => {
          await lock.release();
          await pool.end().catch(() => undefined);
        },
      };
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  protected override capabilitiesFor(): WarehouseCapabilities {
    return {
      ...DEFAULT_CAPABILITIES,
      supportsMerge: true,
      columnar: true,
      supportsCopyFromObjectStore: true,
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
    const warehouse = new RedshiftWarehouse(pool, connection, { iamRole, events: options.events });
    warehouse.password = options.password ?? urlPassword;
    return warehouse;
  }

  protected override columnTypeSql(type: ColumnType): string {
    return type.kind === 'varchar'
      ? `varchar(${type.maxLength ?? DEFAULT_VARCHAR_LENGTH})`
      : super.columnTypeSql(type);
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

  protected override tableAttributesSql(options: TableOptions): string {
    const lines: string[] = [];
    if (options.distKey) lines.push(`distkey (${this.plainIdentifier(options.distKey)})`);
    else if (options.distStyle) lines.push(`diststyle ${options.distStyle}`);
    if (options.sortKey?.length) {
      lines.push(`sortkey (${options.sortKey.map((key) => this.plainIdentifier(key)).join(', ')})`);
    }
    return lines.join('\n');
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

  private iamRoleSql(): string {
    if (!this.options.iamRole) {
      throw new ConfigError(
        `config key 'warehouse': Redshift reads and writes S3 with an IAM role, add ?iam_role=arn:aws:iam::…:role/… to the URL`,
      );
    }
    return `iam_role ${this.quoteLiteral(this.options.iamRole)}`;
  }

  private copySql(target: Relation, from: string, format: 'parquet' | 'json', manifest: boolean): string {
    const formatSql = format === 'parquet' ? 'format as parquet' : `format as json 'auto'`;
    return `copy ${this.quoteRelation(target)} from ${this.quoteLiteral(from)} ${this.iamRoleSql()} ${formatSql}${manifest ? ' manifest' : ''}`;
  }

  /** The S3 prefix a path or glob names (Redshift COPY takes prefixes, not globs); refuses a local path. */
  private s3Prefix(path: string): string {
    const prefix = path.replace(/\*.*$/, '');
    if (!prefix.startsWith('s3://')) {
      throw new ConfigError(
        `config key 'lake': Redshift loads from S3, so the lake must be s3://… (got ${prefix})`,
      );
    }
    return prefix;
  }

  /**
   * Deletes the rows the replacement selects and copies each prefix from S3, in one transaction, then ANALYZE.
   * A table with declared columns is created first when missing: Redshift cannot infer columns from Parquet.
   * It cannot keep some rows of a file (`filtersLoadedRows` is false), so `only` and `replace: key` are refused.
   */
  override async loadFiles(options: LoadFilesOptions): Promise<LoadResult> {
    const prefixes = options.files.map((path) => this.s3Prefix(path));
    const replace = options.replace ?? { kind: 'all' };
    if (options.only || replace.kind === 'key') {
      throw new PipelineError(
        `Redshift cannot load some rows of a file: replace ${options.target.schema}.${options.target.name} by partition instead`,
      );
    }
    const table = this.quoteRelation(options.target);
    if (options.columns) {
      await this.createTable(options.target, options.columns, {
        ...options.tableOptions,
        primaryKey: options.key,
      });
    }
    const rows = await this.transaction(async (session) => {
      let copied = 0;
      if (replace.kind === 'all') await session.execute(`delete from ${table}`);
      if (replace.kind !== 'in' || replace.values.length > 0) {
        if (replace.kind === 'in') {
          const values = replace.values.map((value) => this.quoteLiteral(value)).join(', ');
          await session.execute(
            `delete from ${table} where ${this.quoteIdentifier(replace.column)} in (${values})`,
          );
        }
        for (const prefix of prefixes)
          await session.execute(
            this.copySql(options.target, prefix, options.format, options.manifest === true),
          );
        const { rows: counted } = await session.query('select pg_last_copy_count() as n');
        copied = Number(counted[0]?.['n'] ?? 0);
      }
      for (const statement of options.alsoExecute ?? []) await session.execute(statement);
      return copied;
    });
    await this.execute(`analyze ${table}`);
    return { relation: options.target, rows };
  }

  /** A view, as on engines without PostgreSQL's UNLOGGED tables (Redshift has none). */
  override async exposeSubset(target: Relation, subset: Subset): Promise<void> {
    await this.createView(target, this.subsetSelect(subset, this.quoteRelation(subset.from)));
  }

  /** Redshift cannot COPY to a client: its gold export is {@link unloadParquet} into the S3 lake. */
  override async exportParquet(relation: Relation): Promise<void> {
    throw new PipelineError(
      `Redshift cannot export ${relation.schema}.${relation.name} to a local file: the gold export UNLOADs it to the S3 lake`,
    );
  }

  /**
   * `UNLOAD … TO '<prefix>' … FORMAT AS PARQUET MANIFEST VERBOSE`: Redshift writes the files in parallel (one or
   * more per slice, named `<prefix><slice>_part_<n>.parquet`) and `<prefix>manifest`, which lists them with
   * their sizes and row counts, so the caller commits exactly what was written. UNLOAD encrypts with SSE-S3
   * unless given a KMS key (`kms_key_id … encrypted`), as a lake with `s3.sse: aws:kms` requires.
   */
  override async unloadParquet(
    relation: Relation,
    prefix: string,
    options: { kmsKeyId?: string } = {},
  ): Promise<void> {
    const select = `select * from ${this.quoteRelation(relation)}`;
    const kms = options.kmsKeyId ? ` kms_key_id ${this.quoteLiteral(options.kmsKeyId)} encrypted` : '';
    await this.execute(
      `unload (${this.quoteLiteral(select)}) to ${this.quoteLiteral(prefix)} ${this.iamRoleSql()} format as parquet manifest verbose${kms}`,
    );
  }
}
