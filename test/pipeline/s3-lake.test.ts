/**
 * The whole pipeline on an S3 lake (fauxqs on loopback, DESIGN.md §4): generated bronze → the daily run of three
 * days → marts, with the DuckDB warehouse and with PostgreSQL, gives exactly the silver and the marts of the
 * same run on a local lake; the quality gate judges each day's batch on the S3 lake as on the local one; every
 * object written carries the configured server-side encryption; the web app reads the S3 lake's gold; vacuum
 * deletes superseded objects only after the retention period.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/core/dates.ts';
import { generateBronze } from '../../src/generate/generate-bronze.ts';
import { goldTable, silverTable } from '../../src/lake/lake-layout.ts';
import { listAll } from '../../src/lake/object-store.ts';
import { vacuumLake } from '../../src/lake/vacuum-lake.ts';
import { readQualityRecords } from '../../src/quality/quality-results-store.ts';
import { GoldDatabase } from '../../src/web/data/gold-database.ts';
import { LakeFiles } from '../../src/web/data/lake-files.ts';
import { testSettings } from '../helpers/lake-files.ts';
import {
  createPipelineHarness,
  END_TO_END_SETUP_MS,
  expectRunOk,
  MARTS,
  type PipelineHarness,
} from '../helpers/pipeline-harness.ts';
import {
  createTestDatabase,
  postgresSkipReason,
  type TestDatabase,
} from '../helpers/postgres-test-database.ts';
import { stopSharedS3Server } from '../helpers/test-lake.ts';
import { silverContentHash } from '../silver/silver-fixture.ts';

const DAYS = ['2025-03-01', '2025-03-02', '2025-03-03'] as IsoDate[];
const SETTINGS = testSettings({ rowsPerDay: 1500, customers: 300, merchants: 60, entityChangeRate: 0.05 });
const postgresSkip = await postgresSkipReason();

async function pipelineOver(options: Parameters<typeof createPipelineHarness>[0]): Promise<PipelineHarness> {
  const harness = await createPipelineHarness(options);
  await generateBronze({ lake: harness.lake, settings: SETTINGS, from: DAYS[0]!, to: DAYS.at(-1)! });
  for (const day of DAYS) expectRunOk(await harness.run(day));
  return harness;
}

async function martsOf(harness: PipelineHarness) {
  return Object.fromEntries(
    await Promise.all(MARTS.map(async (mart) => [mart, await harness.rows(`marts.${mart}`)])),
  );
}

describe('the daily pipeline on an S3 lake', () => {
  let local: PipelineHarness;
  let s3: PipelineHarness;
  let s3Postgres: PipelineHarness | undefined;
  let database: TestDatabase | undefined;

  beforeAll(async () => {
    local = await pipelineOver({ store: 'local' });
    s3 = await pipelineOver({ store: 's3' });
    if (!postgresSkip) {
      database = await createTestDatabase();
      s3Postgres = await pipelineOver({ store: 's3', warehouseUrl: database.url });
    }
  }, END_TO_END_SETUP_MS);

  afterAll(async () => {
    await Promise.all([local?.close(), s3?.close(), s3Postgres?.close()]);
    await database?.drop();
    await stopSharedS3Server();
  });

  it('writes the same silver as on a local lake', async () => {
    expect(await silverContentHash(s3.lake)).toBe(await silverContentHash(local.lake));
    const fact = await s3.warehouse.query('select count(*) as n from core.fact_transactions');
    expect(Number(fact.rows[0]!['n'])).toBeGreaterThan(4000);
  });

  it('gives the marts of a local lake, with the DuckDB warehouse', async () => {
    expect(await martsOf(s3)).toEqual(await martsOf(local));
    expect(await s3.rows('audit.ledger')).toHaveLength(DAYS.length);
  });

  it('gives the marts of a local lake, with PostgreSQL', async (context) => {
    if (!s3Postgres) return context.skip(postgresSkip);
    expect(await martsOf(s3Postgres)).toEqual(await martsOf(local));
  });

  it('runs the quality gate on the S3 lake: each day passed, with the results of the local lake', async () => {
    const judged = async (harness: PipelineHarness) =>
      (await readQualityRecords(harness.lake)).map((record) => ({
        ingestDate: record.ingestDate,
        outcome: record.outcome,
        datasets: record.datasets,
        files: record.batch.transactionFiles.length,
        results: record.results.map(({ expectationId, partition, success, observed }) => ({
          expectationId,
          partition,
          success,
          observed,
        })),
      }));
    const s3Results = await judged(s3);
    expect(s3Results.map((record) => [record.ingestDate, record.outcome])).toEqual(
      DAYS.map((day) => [day, 'passed']),
    );
    expect(s3Results.every((record) => record.results.length > 20 && record.files > 0)).toBe(true);
    expect(s3Results).toEqual(await judged(local));
    const results = await s3.warehouse.query(
      'select count(distinct run_id) as runs from audit.quality_results',
    );
    expect(results.rows).toEqual([{ runs: DAYS.length }]);
  });

  it('sent server-side encryption with every object it wrote to S3', async () => {
    const writes = s3.server!.requests.filter(
      (request) =>
        (request.method === 'PUT' && !('partNumber' in request.query)) ||
        (request.method === 'POST' && 'uploads' in request.query),
    );
    const paths = writes.map((request) => decodeURIComponent(request.path));
    for (const zone of [
      '/bronze/',
      '/silver/transactions/',
      '/quarantine/',
      '/_ledger/',
      '/_quality/results/',
      '/gold/marts/',
      '/_transactions/',
    ])
      expect(
        paths.some((path) => path.includes(zone)),
        zone,
      ).toBe(true);
    for (const request of writes)
      expect(request.headers['x-amz-server-side-encryption'], request.path).toBe('AES256');
  });

  it('serves the S3 lake’s gold and ledger to the web app through the local mirror', async () => {
    const files = new LakeFiles(s3.lake);
    const gold = await GoldDatabase.open(files);
    try {
      const rows = await gold.query('select count(*) as n from mart_sales_daily');
      expect(rows[0]!['n']).toBe((await s3.rows('marts.mart_sales_daily')).length);
      const ledger = await files.latestLedgerEntries();
      expect(ledger.map((row) => row.entry.ingest_date)).toEqual(DAYS);
    } finally {
      gold.close();
    }
  });

  it('keeps superseded objects for the retention period, then vacuum deletes them and nothing live', async () => {
    const table = goldTable('mart_sales_daily');
    const keys = async (prefix: string) => {
      const found: string[] = [];
      for await (const object of listAll(s3.lake.store, prefix)) found.push(object.key);
      return found.filter((key) => !key.includes('/_delta_log/'));
    };
    // Three runs exported three files; the last one is live.
    expect(await keys(`${table}/`)).toHaveLength(DAYS.length);
    const now = await vacuumLake(s3.lake);
    expect(now.flatMap((result) => result.deleted)).toEqual([]);
    const live = async () =>
      (await Promise.all([silverTable('transactions'), table].map((t) => s3.lake.snapshot(t)))).flatMap(
        (snapshot) => snapshot.files().map((file) => file.key),
      );
    const before = await live();
    const later = await vacuumLake(s3.lake, { now: () => Date.now() + 200 * 3_600_000 });
    const deleted = later.flatMap((result) => result.deleted);
    expect(deleted.filter((key) => key.startsWith(`${table}/`))).toHaveLength(DAYS.length - 1);
    expect(deleted.some((key) => key.startsWith('silver/transactions/'))).toBe(true);
    expect(deleted.filter((key) => before.includes(key))).toEqual([]);
    expect(await keys(`${table}/`)).toEqual((await s3.lake.snapshot(table)).files().map((file) => file.key));
    // The pipeline still reads everything it needs.
    expect(await martsOf(s3)).toEqual(await martsOf(local));
    expectRunOk(await s3.run(DAYS.at(-1)!, { force: true }));
    expect(await martsOf(s3)).toEqual(await martsOf(local));
  });
});
