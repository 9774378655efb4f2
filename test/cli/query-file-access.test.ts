/**
 * `fintech-etl query` reads the warehouse and nothing else on the machine (issue 21, point 4): no file of the
 * host (DuckDB's readers, PostgreSQL's server file functions), not the tokenization key, not bronze with its
 * PANs — while marts and the staging views over silver still answer. On DuckDB it opens the warehouse
 * read-only: it works beside another reader and on a read-only home. With an S3 lake the staging views read the
 * cache's copies of silver, which the query may read, and not the cached copies of bronze.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/core/dates.ts';
import { readBronzePartition } from '../../src/lake/bronze-partition.ts';
import { writeHandbuiltDay } from '../helpers/handbuilt-bronze.ts';
import { createPipelineHarness, END_TO_END_SETUP_MS, expectRunOk } from '../helpers/pipeline-harness.ts';
import {
  createTestDatabase,
  postgresSkipReason,
  type TestDatabase,
} from '../helpers/postgres-test-database.ts';
import { S3_TEST_ENV, type StoreKind, stopSharedS3Server } from '../helpers/test-lake.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'fintech-etl');
const DAY = '2025-01-30' as IsoDate;

interface Home {
  home: string;
  /** The bronze file of DAY, which holds PANs: in the lake folder, or its cached copy from an S3 lake. */
  bronzeFile: string;
  keyFile: string;
}

/** A home after one daily run of the hand-built day, readable by every user (the PostgreSQL server's too). */
async function builtHome(options: { warehouseUrl?: string; store?: StoreKind } = {}): Promise<Home> {
  const harness = await createPipelineHarness(options);
  await writeHandbuiltDay(harness.lake, DAY);
  expectRunOk(await harness.run(DAY));
  const bronze = (await readBronzePartition(harness.lake, 'transactions', DAY))!;
  const bronzeFile = await harness.lake.localPath(bronze.files[0]!);
  await harness.warehouse.close();
  await harness.lake.close();
  // So that on today's main a server file function could really read them: only the guard may stop it.
  chmodRecursive(harness.home, 0o755, 0o644);
  return { home: harness.home, bronzeFile, keyFile: join(harness.home, 'secrets', 'tokenization.key') };
}

function chmodRecursive(path: string, folderMode: number, fileMode: number): void {
  if (statSync(path).isDirectory()) {
    chmodSync(path, folderMode);
    for (const entry of readdirSync(path)) chmodRecursive(join(path, entry), folderMode, fileMode);
  } else {
    chmodSync(path, fileMode);
  }
}

function query(home: string, sql: string, ...flags: string[]) {
  return spawnSync(BIN, ['--home', home, 'query', sql, ...flags], {
    encoding: 'utf8',
    // The credentials an S3 lake's config names; the tests assert stderr is one sentence (bin/fintech-etl keeps
    // the AWS SDK's Node 22 notice off it).
    env: { ...process.env, ...S3_TEST_ENV },
  });
}

function expectRefused(home: string, sql: string, reason: RegExp): void {
  const result = query(home, sql);
  expect(result.status, `${sql}\n${result.stdout}${result.stderr}`).toBe(2);
  expect(result.stderr).toMatch(/^fintech-etl: query refused: /);
  expect(result.stderr).toMatch(reason);
  expect(result.stderr.split('\n')).toHaveLength(2); // one sentence
  expect(result.stdout).toBe('');
}

const SALES = 'select event_date, purchase_amount from marts.mart_sales_daily order by 1, 2';

describe('query on DuckDB', () => {
  let built: Home;
  beforeAll(async () => {
    built = await builtHome();
  }, END_TO_END_SETUP_MS);
  afterAll(() => rmSync(built.home, { recursive: true, force: true }));

  it('answers from the marts and from the staging views over silver', () => {
    const marts = query(built.home, SALES, '--format', 'json');
    expect(marts.status, marts.stderr).toBe(0);
    expect(JSON.parse(marts.stdout).length).toBeGreaterThan(0);
    const staging = query(
      built.home,
      'select count(*) as n from staging.silver_transactions',
      '--format',
      'json',
    );
    expect(staging.status, staging.stderr).toBe(0);
    expect(JSON.parse(staging.stdout)).toEqual([{ n: 5 }]);
  });

  it('refuses to read any file outside silver: the host, the tokenization key, bronze', () => {
    const outside = /Cannot access file .* \(files outside silver cannot be read\) \(query is read-only\)$/m;
    expectRefused(built.home, "select * from read_text('/etc/passwd')", outside);
    expectRefused(built.home, "select * from glob('/etc/*')", outside);
    expectRefused(built.home, `select * from read_blob('${built.keyFile}')`, outside);
    expectRefused(
      built.home,
      `select * from read_csv('${built.bronzeFile}', delim = '\\x01', header = false, columns = {'raw': 'VARCHAR'})`,
      outside,
    );
    expectRefused(built.home, `select * from read_json('${built.bronzeFile}')`, outside);
    expectRefused(
      built.home,
      `select * from read_text('${built.home}/lake/silver/../bronze/*/*/*.jsonl')`,
      outside,
    );
    // and it cannot switch the protection off
    expectRefused(built.home, 'set enable_external_access = true', /only SELECT statements are allowed/);
  });

  it('opens the warehouse read-only: a query runs beside another reader of the file', async () => {
    const reader = await DuckDBInstance.create(join(built.home, 'warehouse.duckdb'), {
      access_mode: 'READ_ONLY',
    });
    try {
      const result = query(built.home, SALES, '--format', 'json');
      expect(result.status, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).length).toBeGreaterThan(0);
    } finally {
      reader.closeSync();
    }
  });

  it('works on a home it cannot write to', () => {
    const command = [BIN, '--home', built.home, 'query', SALES, '--format', 'json'];
    let result: ReturnType<typeof spawnSync>;
    if (process.getuid?.() === 0) {
      // Root writes whatever the file modes say: the query runs as nobody, for whom the root-owned home
      // (folders 0755, files 0644) is read-only, as for a read-only user of a shared snapshot.
      const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
      result = spawnSync('setpriv', [...asNobody, ...command], { encoding: 'utf8' });
    } else {
      chmodRecursive(built.home, 0o555, 0o444);
      try {
        result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
      } finally {
        chmodRecursive(built.home, 0o755, 0o644);
      }
    }
    expect(result.status, String(result.stderr)).toBe(0);
    expect(JSON.parse(String(result.stdout)).length).toBeGreaterThan(0);
  });
});

describe('query on DuckDB with an S3 lake', () => {
  let built: Home;
  beforeAll(async () => {
    built = await builtHome({ store: 's3' });
  }, END_TO_END_SETUP_MS);
  afterAll(async () => {
    rmSync(built.home, { recursive: true, force: true });
    await stopSharedS3Server();
  });

  it('answers from the staging views over the cached copies of silver', () => {
    const staging = query(
      built.home,
      'select count(*) as n from staging.silver_transactions',
      '--format',
      'json',
    );
    expect(staging.status, staging.stderr).toBe(0);
    expect(JSON.parse(staging.stdout)).toEqual([{ n: 5 }]);
    const marts = query(built.home, SALES, '--format', 'json');
    expect(marts.status, marts.stderr).toBe(0);
    expect(JSON.parse(marts.stdout).length).toBeGreaterThan(0);
  });

  it('refuses the cached copy of bronze and every other file outside the cached silver', () => {
    expect(built.bronzeFile.startsWith(join(built.home, 'cache'))).toBe(true);
    const outside = /Cannot access file .* \(files outside silver cannot be read\) \(query is read-only\)$/m;
    expectRefused(built.home, `select * from read_json('${built.bronzeFile}')`, outside);
    expectRefused(built.home, `select * from read_blob('${built.keyFile}')`, outside);
    expectRefused(built.home, "select * from read_text('/etc/passwd')", outside);
  });
});

const postgresSkip = await postgresSkipReason();

describe.skipIf(postgresSkip)('query on PostgreSQL with a user that may read server files', () => {
  let built: Home;
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    built = await builtHome({ warehouseUrl: database.url });
  }, END_TO_END_SETUP_MS);
  afterAll(async () => {
    rmSync(built?.home ?? '/nonexistent', { recursive: true, force: true });
    await database?.drop();
  });

  it('answers from the marts and staging with exact values, columns in order', () => {
    const marts = query(built.home, SALES, '--format', 'json');
    expect(marts.status, marts.stderr).toBe(0);
    const rows = JSON.parse(marts.stdout) as { event_date: string; purchase_amount: string }[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]!.purchase_amount).toMatch(/^\d+\.\d\d$/);
    const staging = query(
      built.home,
      'select count(*) as n from staging.silver_transactions',
      '--format',
      'json',
    );
    expect(JSON.parse(staging.stdout)).toEqual([{ n: 5 }]);
    const csv = query(
      built.home,
      "select 1 as a, 'x' as b, cast(12.5 as numeric(18,2)) as amount, date '2025-01-30' as d",
      '--format',
      'csv',
    );
    expect(csv.stdout).toBe('a,b,amount,d\n1,x,12.50,2025-01-30\n');
  });

  it('refuses every way to read a server file, also through SQL built at run time or a change of role', () => {
    const denied = (fn: string) =>
      new RegExp(
        `permission denied for function ${fn}: a query may not read server files or change its role`,
      );
    expectRefused(built.home, "select pg_read_file('/etc/passwd')", denied('pg_read_file'));
    expectRefused(built.home, "select * from pg_ls_dir('/etc')", denied('pg_ls_dir'));
    expectRefused(
      built.home,
      `select pg_read_binary_file('${built.keyFile}')`,
      denied('pg_read_binary_file'),
    );
    expectRefused(built.home, `select pg_read_file('${built.bronzeFile}')`, denied('pg_read_file'));
    expectRefused(built.home, `select pg_stat_file('${built.bronzeFile}')`, denied('pg_stat_file'));
    expectRefused(built.home, "select lo_import('/etc/passwd')", denied('lo_import'));
    expectRefused(
      built.home,
      "select query_to_xml('select pg_read_file(''/etc/passwd'')', true, false, '')",
      denied('pg_read_file'),
    );
    expectRefused(
      built.home,
      "select query_to_xml('select pg_read_file(''/etc/passwd'')', true, false, '') from (select set_config('role', 'postgres', true)) as escalate",
      /cannot set parameter "role" within security-definer function/,
    );
    expectRefused(
      built.home,
      "select set_config('session_authorization', 'postgres', true)",
      /cannot set parameter "session_authorization"/,
    );
    expectRefused(built.home, 'delete from marts.mart_sales_daily', /only SELECT statements are allowed/);
    expectRefused(
      built.home,
      "select 1; select pg_read_file('/etc/passwd')",
      /exactly one statement is allowed/,
    );
  });
});
