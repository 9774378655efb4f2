/**
 * PostgreSQL silver loading (the load task's silverLoadOptions through loadFiles) vs a plain `COPY FROM STDIN` of a ready CSV file with the same rows, measured in
 * the same run. 1M silver-shaped transactions are generated with DuckDB SQL into Parquet partitions.
 * Needs PostgreSQL on 127.0.0.1:5432 (FINTECH_TEST_POSTGRES to override).
 */
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { IsoDate } from '../src/core/dates.ts';
import { collectEvents, type PipelineEvent } from '../src/core/pipeline-event.ts';
import { measure } from '../src/core/stopwatch.ts';
import { type SilverFilesSource, silverLoadOptions } from '../src/orchestrator/load-silver.ts';
import { SILVER_TRANSACTIONS } from '../src/silver/silver-contract.ts';
import { PostgresWarehouse } from '../src/warehouse/postgres/postgres-warehouse.ts';
import type { LoadResult } from '../src/warehouse/warehouse.ts';
import { createTestDatabase } from '../test/helpers/postgres-test-database.ts';
import type { Benchmark } from './run.ts';

const ROWS = Number(process.env['BENCH_ROWS'] ?? 1_000_000);

/** The bench's silver files as the load reads them (globs over its Parquet partitions). */
function silverFiles(folder: string, partitions: IsoDate[] | 'all'): SilverFilesSource {
  const all = [`${folder}/**/*.parquet`];
  return {
    kind: 'local',
    files: partitions === 'all' ? all : partitions.map((date) => `${folder}/event_date=${date}/**/*.parquet`),
    all,
  };
}

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

/** CPU seconds (user + system) the server processes of one database's sessions have used so far, by pid. */
async function backendCpu(admin: pg.Client, database: string): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [
    database,
  ]);
  const seconds = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      seconds.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // The session ended between the query and the read.
    }
  }
  return seconds;
}

/**
 * CPU seconds spent by this process (Node + DuckDB) and by the database's sessions while `fn` runs. Wall
 * times swing with whatever else the machine runs; CPU seconds much less (parallel index-build workers are
 * not sessions, so they are not counted).
 */
async function measureCpu(
  admin: pg.Client,
  database: string,
  fn: () => Promise<unknown>,
): Promise<{ seconds: number; serverCpu: number; clientCpu: number }> {
  const before = await backendCpu(admin, database);
  const { seconds, cpuSeconds } = await measure(fn);
  const after = await backendCpu(admin, database);
  let serverCpu = 0;
  for (const [pid, total] of after) serverCpu += total - (before.get(pid) ?? 0);
  return { seconds, serverCpu, clientCpu: cpuSeconds };
}

/** Seconds of each load phase (`copy`, `key`, `analyze`) in the warehouse's step events. */
function phaseSeconds(events: PipelineEvent[]): Record<string, number> {
  const phases: Record<string, number> = {};
  for (const event of events) {
    if (event.kind === 'step-timed' && event.scope === 'load') {
      const phase = event.step.split(' ').at(-1)!;
      phases[phase] = (phases[phase] ?? 0) + event.seconds;
    }
  }
  return phases;
}

export const benchmark: Benchmark = {
  title: `PostgreSQL silver load of ${ROWS.toLocaleString()} rows vs plain COPY of a ready CSV`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'bench-pgload-'));
    const lake = join(dir, 'lake');
    const csv = join(dir, 'ready.csv');
    mkdirSync(join(lake, 'silver'), { recursive: true });
    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    const started = performance.now();
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
    const databaseName = new URL(database.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    // Each measured step starts without WAL left to write by the step before it.
    const checkpoint = () => admin.query('checkpoint').catch(() => undefined);
    try {
      const loadEvents = collectEvents();
      const warehouse = await PostgresWarehouse.open(database.url, { events: loadEvents });
      await checkpoint();
      const loadSilver = (partitions: IsoDate[] | 'all') =>
        warehouse.loadFiles(
          silverLoadOptions(
            SILVER_TRANSACTIONS,
            silverFiles(join(lake, 'silver', 'transactions'), partitions),
            { partitions },
            warehouse.capabilities,
          ),
        );
      let first!: LoadResult;
      const load = await measureCpu(admin, databaseName, async () => {
        first = await loadSilver('all');
      });
      const phases = phaseSeconds(loadEvents.events);

      // Baselines: the same table shape (no key), filled by COPY from the ready CSV file, into an ordinary
      // table (the target's yardstick) and, to show what skipping the WAL alone is worth, an UNLOGGED one.
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const copyReadyCsv = async (table: string, persistence: '' | 'unlogged') => {
        await client.query(`create ${persistence} table public.${table} (like staging.silver_transactions)`);
        await checkpoint();
        return measureCpu(admin, databaseName, () =>
          pipeline(
            createReadStream(csv, { highWaterMark: 1 << 20 }),
            client.query(copyFrom(`copy public.${table} from stdin with (format csv)`)),
          ),
        );
      };
      const baseline = await copyReadyCsv('baseline', '');
      const unlogged = await copyReadyCsv('baseline_unlogged', 'unlogged');
      await client.end();

      const dates = ['2024-01-03', '2024-01-04'] as IsoDate[];
      await checkpoint();
      let partial!: LoadResult;
      const partialLoad = await measureCpu(admin, databaseName, async () => {
        partial = await loadSilver(dates);
      });
      const { rows } = await warehouse.query('select count(*) as n from staging.silver_transactions');
      await warehouse.close();

      const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString()} rows/s`;
      const cpu = (m: { serverCpu: number; clientCpu: number }) =>
        `CPU: server ${m.serverCpu.toFixed(2)}s, Node+DuckDB ${m.clientCpu.toFixed(2)}s`;
      console.log(`load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
      console.log(
        `plain COPY of ready CSV      ${baseline.seconds.toFixed(2)}s  ${rate(ROWS, baseline.seconds)}  (${cpu(baseline)})`,
      );
      console.log(
        `  (into an UNLOGGED table    ${unlogged.seconds.toFixed(2)}s  ${rate(ROWS, unlogged.seconds)}  (${cpu(unlogged)}))`,
      );
      console.log(
        `loadSilver all (Parquet → DuckDB CSV → COPY, + primary key + ANALYZE)  ${load.seconds.toFixed(2)}s  ${rate(first.rows, load.seconds)}  (${cpu(load)})`,
      );
      console.log(
        `ratio loadSilver / plain COPY: ${(baseline.seconds / load.seconds).toFixed(2)}× (target ≥ 0.7×); server CPU per row ${(load.serverCpu / baseline.serverCpu).toFixed(2)}× the plain COPY's`,
      );
      const copySeconds = phases['copy'] ?? load.seconds;
      console.log(
        `  of which copy ${copySeconds.toFixed(2)}s (${rate(first.rows, copySeconds)}, ${(baseline.seconds / copySeconds).toFixed(2)}× plain COPY), primary key ${phases['key']?.toFixed(2)}s, ANALYZE ${phases['analyze']?.toFixed(2)}s`,
      );
      console.log(
        `loadSilver of 2 touched partitions (delete + insert, one transaction): ${partial.rows.toLocaleString()} rows in ${partialLoad.seconds.toFixed(2)}s  ${rate(partial.rows, partialLoad.seconds)}  (${cpu(partialLoad)}); table holds ${rows[0]!['n']} rows`,
      );
    } finally {
      await admin.end();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
