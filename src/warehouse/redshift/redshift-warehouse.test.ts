/**
 * Redshift cannot run here: these tests pin the exact SQL it is sent, through a recording fake client, one case
 * a row. The silver load's SQL is pinned in test/orchestrator/load-silver.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { recordingRedshift } from '../../../test/helpers/recording-redshift.ts';
import { incrementalMaterialization } from '../../models/materializations/incremental-materialization.ts';
import { tableMaterialization } from '../../models/materializations/table-materialization.ts';
import type { ModelConfig } from '../../models/project/model-project.ts';
import type { Relation } from '../warehouse.ts';
import type { RedshiftWarehouse } from './redshift-warehouse.ts';

const config = (extra: Partial<ModelConfig>): ModelConfig => ({
  materialized: 'table',
  tags: [],
  enabled: true,
  ...extra,
});

/** Builds `relation` as an incremental model that already exists. */
const incremental = (
  warehouse: RedshiftWarehouse,
  relation: Relation,
  extra: Partial<ModelConfig>,
  sql: string,
  changesRelation?: Relation,
) =>
  incrementalMaterialization.materialize({
    warehouse,
    model: {
      name: relation.name,
      relation,
      config: config({ materialized: 'incremental', ...extra }),
      path: `models/${relation.schema}/${relation.name}.sql`,
      sql,
      ...(changesRelation ? { changesRelation } : {}),
    },
    existing: 'table',
    incremental: true,
  });

/** The fact-like model `core.f` merged by `id`, keeping `amount` of its changes (in `changes` when given). */
const mergeF = (warehouse: RedshiftWarehouse, changes?: Relation) =>
  incremental(
    warehouse,
    { schema: 'core', name: 'f' },
    { incremental_strategy: 'merge', unique_key: ['id'], record_changes: ['amount'] },
    'select 1 as id, 2.5 as amount',
    changes,
  );

/** How a delete+insert or merge starts: its transaction, and its batch as a temporary table. */
const openBatch = (batch: string, select: string) => [
  'begin',
  `create temporary table ${batch} as ${select}`,
];

/** How a delete+insert ends: the batch inserted into `table` (whose columns the fake says are id, amount). */
const insertBatch = (table: string, batch: string) => [
  `insert into ${table} ("id", "amount") select "id", "amount" from (select * from ${batch}) as fintech_source`,
  `drop table ${batch}`,
  'commit',
];

const ROLE = `iam_role 'arn:aws:iam::123456789012:role/etl'`;

interface SqlCase {
  title: string;
  /** Relations that exist before, as `schema.name`. */
  existing?: Record<string, 'BASE TABLE' | 'VIEW'>;
  act(warehouse: RedshiftWarehouse): Promise<unknown>;
  /**
   * Every statement sent but catalog lookups, in order; `batch` is the temporary table a delete+insert or merge
   * builds, `keys` the table of its distinct keys.
   */
  sent?(names: { batch: string; keys: string }): unknown[];
  /** Or one statement that must be among them. */
  includes?: string;
}

const CASES: SqlCase[] = [
  {
    title: 'builds a table with DISTKEY and SORTKEY beside the old one and swaps it in',
    existing: { 'marts.m': 'BASE TABLE' },
    act: (warehouse) =>
      tableMaterialization.materialize({
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
      }),
    sent: () => [
      'create schema if not exists "marts"',
      'drop table if exists "marts"."m__fintech_new" cascade',
      'create table "marts"."m__fintech_new" diststyle key distkey("customer_id") sortkey("event_date", "customer_id") as select 1 as id',
      'begin',
      expect.stringContaining('with recursive dependents'),
      'drop table if exists "marts"."m" cascade',
      'alter table "marts"."m__fintech_new" rename to "m"',
      'commit',
    ],
  },
  {
    title: 'uses DISTSTYLE ALL / EVEN when dist names a style',
    act: (warehouse) =>
      warehouse.createTableAs({ schema: 'core', name: 'dim_date' }, 'select 1 as d', { distStyle: 'all' }),
    includes: 'create table "core"."dim_date__fintech_new" diststyle all as select 1 as d',
  },
  {
    title: 'merges from a temporary table (Redshift refuses a subquery source)',
    existing: { 'core.f': 'BASE TABLE' },
    act: (warehouse) => mergeF(warehouse),
    sent: ({ batch }) => [
      ...openBatch(batch, 'select 1 as id, 2.5 as amount'),
      `merge into "core"."f" using ${batch} on "core"."f"."id" = ${batch}."id" when matched then update set "amount" = ${batch}."amount" when not matched then insert ("id", "amount") values (${batch}."id", ${batch}."amount")`,
      `drop table ${batch}`,
      'commit',
    ],
  },
  {
    title:
      'replaces partitions through a temporary table of their distinct keys (no alias or subquery in DELETE)',
    existing: { 'marts.m': 'BASE TABLE' },
    act: (warehouse) =>
      incremental(
        warehouse,
        { schema: 'marts', name: 'm' },
        { incremental_strategy: 'delete+insert', partition_by: ['event_date'], partitions: ['2024-01-02'] },
        "select date '2024-01-01' as event_date, 1 as id",
      ),
    sent: ({ batch, keys }) => [
      ...openBatch(batch, "select date '2024-01-01' as event_date, 1 as id"),
      `delete from "marts"."m" where "event_date" in ('2024-01-02')`,
      `create temporary table ${keys} as select distinct "event_date" from ${batch}`,
      `delete from "marts"."m" using ${keys} where "marts"."m"."event_date" = ${keys}."event_date"`,
      `drop table ${keys}`,
      ...insertBatch('"marts"."m"', batch),
    ],
  },
  {
    title: 'records the changes of a delete+insert with a join before the delete (no DELETE … RETURNING)',
    existing: { 'core.f': 'BASE TABLE' },
    act: (warehouse) => mergeF(warehouse, { schema: 'core', name: 'f__changes' }),
    sent: ({ batch, keys }) => [
      ...openBatch(batch, 'select 1 as id, 2.5 as amount'),
      `create table "core"."f__changes" as select "amount" from ${batch}`,
      `insert into "core"."f__changes" select fintech_target."amount" from "core"."f" as fintech_target join (select distinct "id" from ${batch}) as fintech_batch on fintech_batch."id" = fintech_target."id"`,
      `create temporary table ${keys} as select distinct "id" from ${batch}`,
      `delete from "core"."f" using ${keys} where "core"."f"."id" = ${keys}."id"`,
      `drop table ${keys}`,
      ...insertBatch('"core"."f"', batch),
    ],
  },
  {
    title: 'loads ledger JSON from an S3 prefix',
    act: (warehouse) =>
      warehouse.loadFiles({
        files: ['s3://lake-bucket/prod/_ledger/*.json'],
        format: 'json',
        target: { schema: 'audit', name: 'ledger' },
      }),
    includes: `copy "audit"."ledger" from 's3://lake-bucket/prod/_ledger/' ${ROLE} format as json 'auto'`,
  },
  {
    title: 'declares a missing table from its columns, with sized VARCHARs, DISTKEY and SORTKEY',
    act: (warehouse) =>
      warehouse.createTable(
        { schema: 'staging', name: 'silver_cards' },
        [
          { name: 'card_id', type: { kind: 'varchar', maxLength: 64 } },
          { name: 'brand', type: { kind: 'varchar' } },
          { name: 'credit_limit', type: { kind: 'decimal', precision: 18, scale: 2 } },
          { name: 'snapshot_date', type: { kind: 'date' } },
        ],
        { primaryKey: ['card_id', 'snapshot_date'], distKey: 'card_id', sortKey: ['snapshot_date'] },
      ),
    sent: () => [
      'create schema if not exists "staging"',
      [
        'create table if not exists "staging"."silver_cards" (',
        '  card_id varchar(64) not null,',
        '  brand varchar(256),',
        '  credit_limit decimal(18,2),',
        '  snapshot_date date not null,',
        '  primary key (card_id, snapshot_date)',
        ')',
        'distkey (card_id)',
        'sortkey (snapshot_date)',
      ].join('\n'),
    ],
  },
];

describe('RedshiftWarehouse emitted SQL', () => {
  it('declares its capabilities and dispatch order', () => {
    const { warehouse } = recordingRedshift();
    expect(warehouse.engine).toBe('redshift');
    expect(warehouse.dispatchOrder).toEqual(['redshift', 'postgres']);
    expect(warehouse.capabilities).toMatchObject({
      supportsMerge: true,
      readsParquetDirectly: false,
      filtersLoadedRows: false,
      columnar: true,
    });
  });

  for (const { title, existing, act, sent, includes } of CASES) {
    it(title, async () => {
      const { warehouse, writes } = recordingRedshift(existing);
      await act(warehouse);
      const sql = writes();
      const batch = /create temporary table ("fintech_batch_[0-9a-f]+")/.exec(sql.join('\n'))?.[1] ?? '';
      if (sent) expect(sql).toEqual(sent({ batch, keys: batch.replace(/"$/, '_keys"') }));
      if (includes) expect(sql).toContain(includes);
    });
  }

  it('refuses to load from a local folder, naming the config key', async () => {
    const { warehouse } = recordingRedshift();
    await expect(
      warehouse.loadFiles({
        files: ['/data/lake/silver/cards/**/*.parquet'],
        format: 'parquet',
        target: { schema: 'staging', name: 'silver_cards' },
      }),
    ).rejects.toThrow(/config key 'lake': Redshift loads from S3/);
  });
});
