/**
 * The silver → warehouse mapping of the load task (src/orchestrator/load-silver.ts), run against the engines:
 * PostgreSQL for real, Redshift through a recording fake (its exact SQL pinned). The files given here are
 * globs over tiny hand-written lakes: what the load does with a file list; which files a run's snapshot
 * lists is tested with the pipeline (test/pipeline/).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/core/dates.ts';
import {
  exposeSilverBatch,
  filesSource,
  type SilverChange,
  type SilverFilesSource,
  silverLoadOptions,
} from '../../src/orchestrator/load-silver.ts';
import { SILVER_CARDS, SILVER_TRANSACTIONS } from '../../src/silver/silver-contract.ts';
import { PostgresWarehouse } from '../../src/warehouse/postgres/postgres-warehouse.ts';
import { writeTinySilverLake } from '../../src/warehouse/warehouse.contract.ts';
import type { Warehouse } from '../../src/warehouse/warehouse.ts';
import { localLake } from '../helpers/lake-files.ts';
import { createTestDatabase, postgresSkipReason } from '../helpers/postgres-test-database.ts';
import { recordingRedshift } from '../helpers/recording-redshift.ts';

/** The files of the silver transactions under `lakeRoot` for a change, as globs. */
const localSource = (lakeRoot: string, partitions: 'all' | readonly string[]): SilverFilesSource => {
  const all = [`${lakeRoot}/silver/transactions/**/*.parquet`];
  return {
    kind: 'local',
    files:
      partitions === 'all'
        ? all
        : partitions.map((date) => `${lakeRoot}/silver/transactions/event_date=${date}/**/*.parquet`),
    all,
  };
};

/** What the load task loads of the silver transactions from `source` for a change. */
const loadTransactions = (
  warehouse: Warehouse,
  source: SilverFilesSource | string,
  partitions: 'all' | readonly string[],
  ingestDate?: string,
) =>
  warehouse.loadFiles(
    silverLoadOptions(
      SILVER_TRANSACTIONS,
      typeof source === 'string' ? localSource(source, partitions) : source,
      {
        partitions: partitions as SilverChange['partitions'],
        ...(ingestDate ? { ingestDates: [ingestDate as IsoDate] } : {}),
      },
      warehouse.capabilities,
    ),
  );

describe('silver load on Redshift (SQL pinned)', () => {
  it('loads touched silver partitions with one COPY … FORMAT AS PARQUET MANIFEST of exactly their committed files', async () => {
    const { warehouse, writes } = recordingRedshift();
    const manifest = 's3://lake-bucket/prod/silver/_copy_manifests/run-1/silver_transactions.manifest';
    // Redshift cannot keep some rows of a file: the run's ingest date does not narrow its load.
    const result = await loadTransactions(
      warehouse,
      { kind: 'manifest', url: manifest },
      ['2024-01-01', '2024-01-02'],
      '2024-01-02',
    );
    expect(result).toEqual({ relation: { schema: 'staging', name: 'silver_transactions' }, rows: 42 });
    const role = `iam_role 'arn:aws:iam::123456789012:role/etl'`;
    expect(writes()).toEqual([
      'create schema if not exists "staging"',
      expect.stringMatching(
        /create table if not exists "staging"."silver_transactions" \([\s\S]*distkey \(customer_id\)\nsortkey \(event_date\)/,
      ),
      'begin',
      `delete from "staging"."silver_transactions" where "event_date" in ('2024-01-01', '2024-01-02')`,
      `copy "staging"."silver_transactions" from '${manifest}' ${role} format as parquet manifest`,
      'select pg_last_copy_count() as n',
      'commit',
      'analyze "staging"."silver_transactions"',
    ]);
    // Declared from the silver contract: every column, sized, keyed.
    expect(writes()[1]).toContain('  transaction_id varchar(64) not null,\n  customer_id varchar(64),');
    expect(writes()[1]).toContain('  record_hash varchar(128),\n  primary key (transaction_id)\n)');
  });

  it("exposes a run's silver rows as a view filtering the loaded table by ingest date", async () => {
    const { warehouse, writes } = recordingRedshift({ 'staging.silver_transactions_batch': 'VIEW' });
    await exposeSilverBatch(warehouse, localLake(), {
      ingestDates: ['2024-01-02' as IsoDate],
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

  it('refuses a local lake with a message naming the config key', async () => {
    const { warehouse } = recordingRedshift();
    const file = {
      key: 'silver/cards/snapshot_date=2024-01-01/data-x.parquet',
      partitionValues: {},
      size: 1,
      modificationTime: 0,
    };
    await expect(
      filesSource(warehouse, localLake(), [file], [file], 'silver/_copy_manifests/r/cards.manifest'),
    ).rejects.toThrow(/config key 'lake': redshift loads from S3, so the lake must be s3:\/\/…/);
    await expect(
      warehouse.loadFiles(
        silverLoadOptions(
          SILVER_CARDS,
          { kind: 'local', files: ['/data/lake/silver/cards/a.parquet'], all: [] },
          { partitions: 'all' },
          warehouse.capabilities,
        ),
      ),
    ).rejects.toThrow(/config key 'lake': Redshift loads from S3/);
  });
});

describe('silver load on PostgreSQL', async () => {
  const skip = await postgresSkipReason();
  const perDay = (warehouse: PostgresWarehouse) =>
    warehouse
      .query(
        'select event_date, count(*) as n from staging.silver_transactions group by event_date order by event_date',
      )
      .then((result) => result.rows);
  /** A fresh database and a tiny silver lake (rows per event date), torn down after `test`. */
  const withLoadedLake = async (
    days: Record<string, number>,
    test: (warehouse: PostgresWarehouse, lake: string) => Promise<void>,
  ) => {
    const database = await createTestDatabase();
    const warehouse = await PostgresWarehouse.open(database.url);
    try {
      const lake = mkdtempSync(join(tmpdir(), 'pg-load-lake-'));
      await writeTinySilverLake(lake, days);
      await test(warehouse, lake);
    } finally {
      await warehouse.close();
      await database.drop();
    }
  };

  it.skipIf(skip)('refills all partitions when a crash has emptied the unlogged table', async () => {
    await withLoadedLake({ '2024-01-01': 3, '2024-01-02': 2 }, async (warehouse, lake) => {
      await loadTransactions(warehouse, lake, 'all');
      // Crash recovery leaves an unlogged table exactly like this: present, empty.
      await warehouse.execute('truncate staging.silver_transactions');
      await loadTransactions(warehouse, lake, ['2024-01-02']);
      expect(await perDay(warehouse)).toEqual([
        { event_date: '2024-01-01', n: 3 },
        { event_date: '2024-01-02', n: 2 },
      ]);
    });
  });

  it.skipIf(skip)(
    'keeps planner statistics on every column, from the full sample on those the models filter on',
    async () => {
      await withLoadedLake({ '2024-01-01': 300, '2024-01-02': 300 }, async (warehouse, lake) => {
        // Histogram sizes tell the samples apart: up to 101 bounds at the default statistics target, 11 at 10.
        const histograms = async () => {
          const { rows } = await warehouse.query(
            `select attname, coalesce(array_length(histogram_bounds, 1), 0) as bounds from pg_stats
             where schemaname = 'staging' and tablename = 'silver_transactions' order by attname`,
          );
          return Object.fromEntries(rows.map((row) => [row['attname'], row['bounds']]));
        };
        // A full load (built beside and swapped in), then a partial one (delete + insert).
        for (const partitions of ['all', ['2024-01-02']] as const) {
          await loadTransactions(warehouse, lake, partitions);
          expect(await histograms()).toEqual({
            amount: 101,
            event_date: 0,
            is_refund: 0,
            merchant_category: 0,
            note: 0,
            transaction_id: 101,
            txn_ts: 11,
          });
        }
      });
    },
  );

  it.skipIf(skip)(
    "replaces by key only the rows of the run's ingest date, also a version that moved to another date",
    async () => {
      await withLoadedLake({}, async (warehouse, lake) => {
        const db = await DuckDBInstance.create(':memory:');
        const connection = await db.connect();
        /** A partition's file: rows of (transaction_id, event_date, amount, ingest_date). */
        const partition = async (date: string, rows: string) => {
          const dir = join(lake, 'silver', 'transactions', `event_date=${date}`, 'merchant_category=food');
          mkdirSync(dir, { recursive: true });
          await connection.run(
            `copy (select t as transaction_id, cast(e as date) as event_date, cast(a as decimal(18,2)) as amount,
               cast(i as date) as ingest_date from (values ${rows}) v(t, e, a, i)
             ) to '${dir}/data.parquet' (format parquet)`,
          );
        };
        try {
          await partition(
            '2024-01-01',
            "('a', '2024-01-01', 1, '2024-01-01'), ('b', '2024-01-01', 2, '2024-01-01')",
          );
          await partition('2024-01-02', "('c', '2024-01-02', 3, '2024-01-01')");
          await loadTransactions(warehouse, lake, 'all');
          const xminOfC =
            "select xmin::text as x from staging.silver_transactions where transaction_id = 'c'";
          const before = (await warehouse.query(xminOfC)).rows;
          // Ingest date 2024-01-03: a new version of a moves to 2024-01-02, d arrives; silver rewrote both days.
          await partition('2024-01-01', "('b', '2024-01-01', 2, '2024-01-01')");
          await partition(
            '2024-01-02',
            "('c', '2024-01-02', 3, '2024-01-01'), ('a', '2024-01-02', 9, '2024-01-03'), ('d', '2024-01-02', 4, '2024-01-03')",
          );
          const result = await loadTransactions(warehouse, lake, ['2024-01-01', '2024-01-02'], '2024-01-03');
          expect(result.rows).toBe(2);
          const { rows } = await warehouse.query(
            'select transaction_id, event_date, amount, ingest_date from staging.silver_transactions order by 1',
          );
          expect(rows).toEqual([
            { transaction_id: 'a', event_date: '2024-01-02', amount: '9.00', ingest_date: '2024-01-03' },
            { transaction_id: 'b', event_date: '2024-01-01', amount: '2.00', ingest_date: '2024-01-01' },
            { transaction_id: 'c', event_date: '2024-01-02', amount: '3.00', ingest_date: '2024-01-01' },
            { transaction_id: 'd', event_date: '2024-01-02', amount: '4.00', ingest_date: '2024-01-03' },
          ]);
          // c was not copied again: the same row version, not one deleted and reinserted.
          expect((await warehouse.query(xminOfC)).rows).toEqual(before);
        } finally {
          connection.closeSync();
          db.closeSync();
        }
      });
    },
  );

  it.skipIf(skip)('keeps the loaded rows when PostgreSQL refuses a batch', async () => {
    await withLoadedLake({ '2024-01-01': 3, '2024-01-02': 2 }, async (warehouse, lake) => {
      await loadTransactions(warehouse, lake, 'all');
      // A rewritten partition whose rows repeat a transaction_id: the primary key refuses the COPY.
      const dir = join(lake, 'silver', 'transactions', 'event_date=2024-01-02', 'merchant_category=food');
      mkdirSync(dir, { recursive: true });
      const db = await DuckDBInstance.create(':memory:');
      const connection = await db.connect();
      await connection.run(
        `copy (select 't-dup' as transaction_id, date '2024-01-02' as event_date, 1.00::decimal(18,2) as amount,
           timestamp '2024-01-02 10:00:00' as txn_ts, null::varchar as note, false as is_refund
         from range(2)) to '${dir}/part-0.parquet' (format parquet)`,
      );
      connection.closeSync();
      db.closeSync();
      await expect(loadTransactions(warehouse, lake, ['2024-01-02'])).rejects.toThrow(/duplicate key/);
      await expect(loadTransactions(warehouse, lake, 'all')).rejects.toThrow(
        /could not create unique index|duplicate key/,
      );
      expect(await perDay(warehouse)).toEqual([
        { event_date: '2024-01-01', n: 3 },
        { event_date: '2024-01-02', n: 2 },
      ]);
    });
  });
});
