/** Redshift cannot run here: these tests pin the exact SQL it is sent, through a recording fake client. */
import { describe, expect, it } from 'vitest';
import { incrementalMaterialization } from '../../models/materializations/incremental-materialization.ts';
import { tableMaterialization } from '../../models/materializations/table-materialization.ts';
import type { ModelConfig } from '../../models/project/model-project.ts';
import type { PgPoolLike } from '../postgres/postgres-warehouse.ts';
import { RedshiftWarehouse } from './redshift-warehouse.ts';

function recordingRedshift(existing: Record<string, 'BASE TABLE' | 'VIEW'> = {}) {
  const statements: string[] = [];
  const answer = (sql: string) => {
    const table = /table_schema = '([^']+)' and table_name = '([^']+)'/.exec(sql);
    if (sql.startsWith('select table_type') && table) {
      const type = existing[`${table[1]}.${table[2]}`];
      return { rows: type ? [{ table_type: type }] : [], fields: [{ name: 'table_type' }] };
    }
    if (sql.startsWith('select column_name')) {
      return {
        rows: [
          { column_name: 'id', data_type: 'integer' },
          { column_name: 'amount', data_type: 'numeric' },
        ],
        fields: [],
      };
    }
    if (sql.includes('pg_last_copy_count')) return { rows: [{ n: 42 }], fields: [{ name: 'n' }] };
    return { rows: [], fields: [] };
  };
  const pool: PgPoolLike = {
    connect: async () => ({
      query: async (config) => {
        const sql = typeof config === 'string' ? config : config.text;
        statements.push(sql);
        return answer(sql);
      },
      release: () => undefined,
    }),
    end: async () => undefined,
  };
  const warehouse = new RedshiftWarehouse(
    pool,
    { host: 'cluster.example', port: 5439, database: 'dw', user: 'etl' },
    { iamRole: 'arn:aws:iam::123456789012:role/etl' },
  );
  const writes = () =>
    statements.filter((s) => !s.startsWith('select table_type') && !s.startsWith('select column_name'));
  return { warehouse, statements, writes };
}

const config = (extra: Partial<ModelConfig>): ModelConfig => ({
  materialized: 'table',
  tags: [],
  enabled: true,
  ...extra,
});

describe('RedshiftWarehouse emitted SQL', () => {
  it('declares its capabilities and dispatch order', () => {
    const { warehouse } = recordingRedshift();
    expect(warehouse.engine).toBe('redshift');
    expect(warehouse.dispatchOrder).toEqual(['redshift', 'postgres']);
    expect(warehouse.capabilities).toMatchObject({
      supportsMerge: true,
      supportsCopyFromObjectStore: true,
      supportsDistribution: true,
    });
  });

  it('builds a table with DISTKEY and SORTKEY beside the old one and swaps it in', async () => {
    const { warehouse, writes } = recordingRedshift({ 'marts.m': 'BASE TABLE' });
    await tableMaterialization.materialize({
      warehouse,
      model: {
        name: 'm',
        relation: { schema: 'marts', name: 'm' },
        config: config({ dist: 'customer_id', sort: ['event_date', 'customer_id'] }),
        path: 'models/marts/m.sql',
        sql: 'select 1 as id',
      },
      existing: 'table',
      incremental: false,
    });
    expect(writes()).toEqual([
      'create schema if not exists "marts"',
      'drop table if exists "marts"."m__fintech_new" cascade',
      'create table "marts"."m__fintech_new" diststyle key distkey("customer_id") sortkey("event_date", "customer_id") as select 1 as id',
      'begin',
      expect.stringContaining('with recursive dependents'),
      'drop table if exists "marts"."m" cascade',
      'alter table "marts"."m__fintech_new" rename to "m"',
      'commit',
    ]);
  });

  it('uses DISTSTYLE ALL / EVEN when dist names a style', async () => {
    const { warehouse, writes } = recordingRedshift();
    await warehouse.createTableAs({ schema: 'core', name: 'dim_date' }, 'select 1 as d', {
      distStyle: 'all',
    });
    expect(writes()).toContain('create table "core"."dim_date__fintech_new" diststyle all as select 1 as d');
  });

  it('merges from a temporary table (Redshift refuses a subquery source)', async () => {
    const { warehouse, writes } = recordingRedshift({ 'core.f': 'BASE TABLE' });
    await incrementalMaterialization.materialize({
      warehouse,
      model: {
        name: 'f',
        relation: { schema: 'core', name: 'f' },
        config: config({
          materialized: 'incremental',
          incremental_strategy: 'merge',
          unique_key: ['id'],
          record_changes: ['amount'],
        }),
        path: 'models/core/f.sql',
        sql: 'select 1 as id, 2.5 as amount',
      },
      existing: 'table',
      incremental: true,
    });
    const sql = writes();
    const batch = /create temporary table ("fintech_batch_[0-9a-f]+")/.exec(sql[1]!)![1]!;
    expect(sql).toEqual([
      'begin',
      `create temporary table ${batch} as select 1 as id, 2.5 as amount`,
      `merge into "core"."f" using ${batch} on "core"."f"."id" = ${batch}."id" when matched then update set "amount" = ${batch}."amount" when not matched then insert ("id", "amount") values (${batch}."id", ${batch}."amount")`,
      `drop table ${batch}`,
      'commit',
    ]);
  });

  it('replaces partitions through a temporary table of their distinct keys (no alias or subquery in DELETE)', async () => {
    const { warehouse, writes } = recordingRedshift({ 'marts.m': 'BASE TABLE' });
    await incrementalMaterialization.materialize({
      warehouse,
      model: {
        name: 'm',
        relation: { schema: 'marts', name: 'm' },
        config: config({
          materialized: 'incremental',
          incremental_strategy: 'delete+insert',
          partition_by: ['event_date'],
          partitions: ['2024-01-02'],
        }),
        path: 'models/marts/m.sql',
        sql: "select date '2024-01-01' as event_date, 1 as id",
      },
      existing: 'table',
      incremental: true,
    });
    const sql = writes();
    const batch = /create temporary table ("fintech_batch_[0-9a-f]+")/.exec(sql[1]!)![1]!;
    const keys = batch.replace(/"$/, '_keys"');
    expect(sql).toEqual([
      'begin',
      `create temporary table ${batch} as select date '2024-01-01' as event_date, 1 as id`,
      `delete from "marts"."m" where "event_date" in ('2024-01-02')`,
      `create temporary table ${keys} as select distinct "event_date" from ${batch}`,
      `delete from "marts"."m" using ${keys} where "marts"."m"."event_date" = ${keys}."event_date"`,
      `drop table ${keys}`,
      `insert into "marts"."m" ("id", "amount") select "id", "amount" from (select * from ${batch}) as fintech_source`,
      `drop table ${batch}`,
      'commit',
    ]);
  });

  it('records the changes of a delete+insert with a join before the delete (no DELETE … RETURNING)', async () => {
    const { warehouse, writes } = recordingRedshift({ 'core.f': 'BASE TABLE' });
    await incrementalMaterialization.materialize({
      warehouse,
      model: {
        name: 'f',
        relation: { schema: 'core', name: 'f' },
        config: config({
          materialized: 'incremental',
          incremental_strategy: 'merge',
          unique_key: ['id'],
          record_changes: ['amount'],
        }),
        path: 'models/core/f.sql',
        sql: 'select 1 as id, 2.5 as amount',
        changesRelation: { schema: 'core', name: 'f__changes' },
      },
      existing: 'table',
      incremental: true,
    });
    const sql = writes();
    const batch = /create temporary table ("fintech_batch_[0-9a-f]+")/.exec(sql[1]!)![1]!;
    const keys = batch.replace(/"$/, '_keys"');
    expect(sql).toEqual([
      'begin',
      `create temporary table ${batch} as select 1 as id, 2.5 as amount`,
      `create table "core"."f__changes" as select "amount" from ${batch}`,
      `insert into "core"."f__changes" select fintech_target."amount" from "core"."f" as fintech_target join (select distinct "id" from ${batch}) as fintech_batch on fintech_batch."id" = fintech_target."id"`,
      `create temporary table ${keys} as select distinct "id" from ${batch}`,
      `delete from "core"."f" using ${keys} where "core"."f"."id" = ${keys}."id"`,
      `drop table ${keys}`,
      `insert into "core"."f" ("id", "amount") select "id", "amount" from (select * from ${batch}) as fintech_source`,
      `drop table ${batch}`,
      'commit',
    ]);
  });
  it('loads touched silver partitions with COPY FROM S3 … FORMAT AS PARQUET IAM_ROLE, in one transaction', async () => {
    const { warehouse, writes } = recordingRedshift();
    const result = await warehouse.loadSilver({
      lakeRoot: 's3://lake-bucket/prod',
      table: 'transactions',
      partitions: ['2024-01-01', '2024-01-02'],
    });
    expect(result).toEqual({ relation: { schema: 'staging', name: 'silver_transactions' }, rows: 42 });
    const role = `iam_role 'arn:aws:iam::123456789012:role/etl'`;
    expect(writes()).toEqual([
      'create schema if not exists "staging"',
      expect.stringMatching(
        /create table if not exists "staging"."silver_transactions" \([\s\S]*distkey \(customer_id\)\nsortkey \(event_date\)/,
      ),
      'begin',
      `delete from "staging"."silver_transactions" where "event_date" in ('2024-01-01', '2024-01-02')`,
      `copy "staging"."silver_transactions" from 's3://lake-bucket/prod/silver/transactions/event_date=2024-01-01/' ${role} format as parquet`,
      `copy "staging"."silver_transactions" from 's3://lake-bucket/prod/silver/transactions/event_date=2024-01-02/' ${role} format as parquet`,
      'select pg_last_copy_count() as n',
      'commit',
      'analyze "staging"."silver_transactions"',
    ]);
  });

  it("exposes a run's silver rows as a view filtering the loaded table by ingest date", async () => {
    const { warehouse, writes } = recordingRedshift({ 'staging.silver_transactions_batch': 'VIEW' });
    await warehouse.exposeSilverBatch({
      lakeRoot: 's3://lake-bucket/prod',
      ingestDate: '2024-01-02',
      files: ['silver/transactions/event_date=2024-01-02/merchant_category=grocery/data.parquet'],
    });
    expect(writes()).toEqual([
      'create schema if not exists "staging"',
      'begin',
      expect.stringContaining('cast(\'"staging"."silver_transactions_batch"\' as regclass)'),
      'drop view if exists "staging"."silver_transactions_batch" cascade',
      `create view "staging"."silver_transactions_batch" as select * from "staging"."silver_transactions" where ingest_date = cast('2024-01-02' as date)`,
      'commit',
    ]);
  });

  it('loads ledger JSON from an S3 prefix', async () => {
    const { warehouse, writes } = recordingRedshift();
    await warehouse.loadFiles({
      files: 's3://lake-bucket/prod/_ledger/*.json',
      format: 'json',
      target: { schema: 'audit', name: 'ledger' },
    });
    expect(writes()).toContain(
      `copy "audit"."ledger" from 's3://lake-bucket/prod/_ledger/' iam_role 'arn:aws:iam::123456789012:role/etl' format as json 'auto'`,
    );
  });

  it('refuses a local lake with a message naming the config key', async () => {
    const { warehouse } = recordingRedshift();
    await expect(
      warehouse.loadSilver({ lakeRoot: '/data/lake', table: 'cards', partitions: 'all' }),
    ).rejects.toThrow(/config key 'lake': Redshift loads from S3/);
  });
});
