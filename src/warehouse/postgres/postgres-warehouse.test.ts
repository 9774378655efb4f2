import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, postgresSkipReason } from '../../../test/helpers/postgres-test-database.ts';
import { warehouseContract, writeTinySilverLake } from '../warehouse.contract.ts';
import type { LoadSilverOptions } from '../warehouse.ts';
import { PostgresWarehouse } from './postgres-warehouse.ts';

warehouseContract('postgres', async () => {
  if (await postgresSkipReason()) return undefined;
  const database = await createTestDatabase();
  return { open: () => PostgresWarehouse.open(database.url), cleanup: database.drop };
});

describe('PostgresWarehouse.open', () => {
  it('fails with one line naming host, port and database, never the password', async () => {
    const error = await PostgresWarehouse.open('postgres://etl:s3cret-pw@127.0.0.1:1/ledgerdb').catch(
      (e) => e,
    );
    expect(error.message).toMatch(
      /cannot connect to postgres warehouse at host 127\.0\.0\.1, port 1, database ledgerdb/,
    );
    expect(error.message).not.toContain('s3cret-pw');
    expect(error.message).not.toContain('\n');
  });
});

describe('openWarehouse for postgres://', () => {
  it('takes the password from the warehouse_password secret and keeps it out of errors', async () => {
    const { openWarehouse } = await import('../open-warehouse.ts');
    const error = await openWarehouse(
      {
        warehouseTarget: { kind: 'postgres', url: 'postgres://etl@127.0.0.1:1/dw' },
        warehouse_password: { env: 'WH_PASSWORD' },
        home: '/nonexistent',
        models: { concurrency: 2 },
      },
      { env: { WH_PASSWORD: 'very-secret-pw' } },
    ).then(
      () => new Error('connected unexpectedly'),
      (e: Error) => e,
    );
    expect(error.message).toMatch(
      /^cannot connect to postgres warehouse at host 127\.0\.0\.1, port 1, database dw: /,
    );
    expect(error.message).not.toContain('very-secret-pw');
  });
});

describe('PostgresWarehouse.loadSilver', async () => {
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
      await warehouse.loadSilver({ lakeRoot: lake, table: 'transactions', partitions: 'all' });
      // Crash recovery leaves an unlogged table exactly like this: present, empty.
      await warehouse.execute('truncate staging.silver_transactions');
      await warehouse.loadSilver({ lakeRoot: lake, table: 'transactions', partitions: ['2024-01-02'] });
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
        for (const partitions of ['all', ['2024-01-02']] satisfies LoadSilverOptions['partitions'][]) {
          await warehouse.loadSilver({ lakeRoot: lake, table: 'transactions', partitions });
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
          await warehouse.loadSilver({ lakeRoot: lake, table: 'transactions', partitions: 'all' });
          const xminOfC =
            "select xmin::text as x from staging.silver_transactions where transaction_id = 'c'";
          const before = (await warehouse.query(xminOfC)).rows;
          // Ingest date 2024-01-03: a new version of a moves to 2024-01-02, d arrives; silver rewrote both days.
          await partition('2024-01-01', "('b', '2024-01-01', 2, '2024-01-01')");
          await partition(
            '2024-01-02',
            "('c', '2024-01-02', 3, '2024-01-01'), ('a', '2024-01-02', 9, '2024-01-03'), ('d', '2024-01-02', 4, '2024-01-03')",
          );
          const result = await warehouse.loadSilver({
            lakeRoot: lake,
            table: 'transactions',
            partitions: ['2024-01-01', '2024-01-02'],
            ingestDate: '2024-01-03',
          });
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
      await warehouse.loadSilver({ lakeRoot: lake, table: 'transactions', partitions: 'all' });
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
      await expect(
        warehouse.loadSilver({ lakeRoot: lake, table: 'transactions', partitions: ['2024-01-02'] }),
      ).rejects.toThrow(/duplicate key/);
      await expect(
        warehouse.loadSilver({ lakeRoot: lake, table: 'transactions', partitions: 'all' }),
      ).rejects.toThrow(/could not create unique index|duplicate key/);
      expect(await perDay(warehouse)).toEqual([
        { event_date: '2024-01-01', n: 3 },
        { event_date: '2024-01-02', n: 2 },
      ]);
    });
  });
});

describe('PostgresWarehouse dead rows', async () => {
  const skip = await postgresSkipReason();

  it.skipIf(skip)(
    'vacuums a table after delete+insert and merge when autovacuum is off for it, and not when it is on',
    async () => {
      const database = await createTestDatabase();
      const warehouse = await PostgresWarehouse.open(database.url);
      try {
        const serverAutovacuum = (await warehouse.query('show autovacuum')).rows[0]!['autovacuum'];
        await warehouse.execute('create schema marts');
        for (const [name, enabled] of [
          ['off_table', false],
          ['on_table', true],
        ] as const) {
          await warehouse.execute(
            `create table marts.${name} with (autovacuum_enabled = ${enabled}) as select g as id, 'v1' as version from generate_series(1, 1000) g`,
          );
          const T = { schema: 'marts', name };
          await warehouse.deleteInsert(T, `select g as id, 'v2' as version from generate_series(1, 500) g`, [
            'id',
          ]);
          await warehouse.merge(T, `select g as id, 'v3' as version from generate_series(400, 600) g`, [
            'id',
          ]);
        }
        const stats = async (name: string) =>
          (
            await warehouse.query(
              `select vacuum_count from pg_stat_user_tables where schemaname = 'marts' and relname = '${name}'`,
            )
          ).rows[0];
        // the dead rows of the delete+insert (500) and of the merge (201) were each vacuumed away at once
        expect(await stats('off_table')).toEqual({ vacuum_count: 2 });
        expect(await stats('on_table')).toEqual({ vacuum_count: serverAutovacuum === 'on' ? 0 : 2 });
        expect(
          (await warehouse.query('select version, count(*) as n from marts.off_table group by 1 order by 1'))
            .rows,
        ).toEqual([
          { version: 'v1', n: 400 },
          { version: 'v2', n: 399 },
          { version: 'v3', n: 201 },
        ]);
      } finally {
        await warehouse.close();
        await database.drop();
      }
    },
  );
});
