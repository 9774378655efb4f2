/**
 * PostgreSQL silver loading vs a plain `COPY FROM STDIN` of a ready CSV file with the same rows, measured in
 * the same run. 1M silver-shaped transactions are generated with DuckDB SQL into Parquet partitions.
 * Needs PostgreSQL on 127.0.0.1:5432 (FINTECH_TEST_POSTGRES to override).
 */
import { createReadStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { PostgresWarehouse } from '../src/warehouse/postgres/postgres-warehouse.ts';
import { createTestDatabase } from '../test/helpers/postgres-test-database.ts';
import type { Benchmark } from './run.ts';

const ROWS = Number(process.env['BENCH_ROWS'] ?? 1_000_000);

export const SILVER_ROWS_SQL = `
select
  'txn-' || lpad(cast(i as varchar), 10, '0') as transaction_id,
  'cust-' || cast(i % 20000 as varchar) as customer_id,
  'card-' || cast(i % 30000 as varchar) as card_id,
  'mer-' || cast(i % 2000 as varchar) as merchant_id,
  timestamp '2024-01-01 00:00:00' + to_seconds(cast(i % 864000 as bigint)) as txn_ts,
  cast(date '2024-01-01' + cast((i % 864000) // 86400 as integer) as date) as event_date,
  cast((i % 100000) / 100.0 + 1 as decimal(18,2)) as amount,
  case when i % 10 = 0 then 'USD' else 'KRW' end as currency,
  cast(case when i % 10 = 0 then 1350.5 else 1 end as decimal(18,8)) as fx_rate,
  cast(((i % 100000) / 100.0 + 1) * case when i % 10 = 0 then 1350.5 else 1 end as decimal(18,2)) as amount_reporting,
  lpad(cast(5000 + i % 900 as varchar), 4, '0') as mcc,
  ['food', 'travel', 'retail', 'services'][1 + i % 4] as merchant_category,
  case when i % 20 = 0 then 'declined' else 'approved' end as status,
  i % 50 = 0 as is_refund,
  ['online', 'pos', 'mobile'][1 + i % 3] as channel,
  md5(cast(i as varchar)) as card_token,
  '411111' as card_bin,
  lpad(cast(i % 10000 as varchar), 4, '0') as card_last4,
  'chip' as entry_mode, 'KR' as country, 'Seoul' as city,
  'Merchant "' || cast(i % 2000 as varchar) || '", Ltd' as merchant_name,
  null::varchar as decline_reason, null::varchar as original_transaction_id,
  i % 1000 = 0 as is_fraud,
  date '2024-01-11' as ingest_date,
  'bronze/transactions/ingest_date=2024-01-11/part-00000.jsonl' as source_file,
  cast(i as bigint) as source_line,
  md5('r' || cast(i as varchar)) as record_hash
from range(${ROWS}) t(i)`;

export const benchmark: Benchmark = {
  title: `PostgreSQL silver load of ${ROWS.toLocaleString()} rows vs plain COPY of a ready CSV`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'bench-pgload-'));
    const lake = join(dir, 'lake');
    const csv = join(dir, 'ready.csv');
    mkdirSync(join(lake, 'silver'), { recursive: true });
    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    let started = performance.now();
    await connection.run(
      `copy (${SILVER_ROWS_SQL}) to '${lake}/silver/transactions' (format parquet, partition_by (event_date, merchant_category), write_partition_columns true)`,
    );
    await connection.run(
      `copy (select * from read_parquet('${lake}/silver/transactions/**/*.parquet')) to '${csv}' (format csv, header false)`,
    );
    console.log(
      `generated Parquet + CSV in ${((performance.now() - started) / 1000).toFixed(1)}s; CSV ${(statSync(csv).size / 1e6).toFixed(0)} MB`,
    );
    connection.closeSync();
    duck.closeSync();

    const database = await createTestDatabase();
    try {
      const warehouse = await PostgresWarehouse.open(database.url);
      started = performance.now();
      const first = await warehouse.loadSilver({ lakeRoot: lake, table: 'transactions', partitions: 'all' });
      const loadSeconds = (performance.now() - started) / 1000;

      // Baseline: the same table shape (no key), filled by COPY from the ready CSV file.
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      await client.query('create table public.baseline (like staging.silver_transactions)');
      started = performance.now();
      await pipeline(
        createReadStream(csv),
        client.query(copyFrom('copy public.baseline from stdin with (format csv)')),
      );
      const baselineSeconds = (performance.now() - started) / 1000;
      await client.end();

      const dates = ['2024-01-03', '2024-01-04'];
      started = performance.now();
      const partial = await warehouse.loadSilver({
        lakeRoot: lake,
        table: 'transactions',
        partitions: dates,
      });
      const partialSeconds = (performance.now() - started) / 1000;
      const { rows } = await warehouse.query('select count(*) as n from staging.silver_transactions');
      await warehouse.close();

      const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString()} rows/s`;
      console.log(
        `plain COPY of ready CSV      ${baselineSeconds.toFixed(2)}s  ${rate(ROWS, baselineSeconds)}`,
      );
      console.log(
        `loadSilver all (Parquet → DuckDB CSV batches → COPY, + primary key + ANALYZE)  ${loadSeconds.toFixed(2)}s  ${rate(first.rows, loadSeconds)}`,
      );
      console.log(
        `ratio loadSilver / plain COPY: ${(baselineSeconds / loadSeconds).toFixed(2)}× (target ≥ 0.7×)`,
      );
      const copySeconds = first.timings?.['copy'] ?? loadSeconds;
      console.log(
        `  of which copy ${copySeconds.toFixed(2)}s (${rate(first.rows, copySeconds)}, ${(baselineSeconds / copySeconds).toFixed(2)}× plain COPY), primary key ${first.timings?.['key']?.toFixed(2)}s, ANALYZE ${first.timings?.['analyze']?.toFixed(2)}s`,
      );
      console.log(
        `loadSilver of 2 touched partitions (delete + insert, one transaction): ${partial.rows.toLocaleString()} rows in ${partialSeconds.toFixed(2)}s  ${rate(partial.rows, partialSeconds)}; table holds ${rows[0]!['n']} rows`,
      );
    } finally {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
