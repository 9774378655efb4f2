/**
 * Redshift with an S3 lake, for a generated day (Redshift cannot run here: the exact SQL is pinned through the
 * recording fake, test/helpers/recording-redshift.ts). The load COPYs exactly the committed files of the touched
 * partitions, through COPY manifests in the lake (`… FORMAT AS PARQUET MANIFEST`); gold is `UNLOAD … TO 's3://…'
 * … FORMAT AS PARQUET MANIFEST VERBOSE` into the gold tables' folders, and the files the UNLOAD manifest lists are
 * what the gold commit publishes. The fake plays Redshift's side of UNLOAD: it writes a Parquet file and the
 * manifest into the loopback S3 server.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/core/dates.ts';
import { generateBronze } from '../../src/generate/generate-bronze.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { goldTable, LEDGER_TABLE, QUARANTINE_TABLE, silverTable } from '../../src/lake/lake-layout.ts';
import { exportGold } from '../../src/orchestrator/export-gold.ts';
import { loadWarehouse } from '../../src/orchestrator/load-warehouse.ts';
import { runSilver, type SilverResult } from '../../src/silver/run-silver.ts';
import { testSettings } from '../helpers/lake-files.ts';
import { recordingRedshift } from '../helpers/recording-redshift.ts';
import { createTestLake, stopSharedS3Server, type TestLake } from '../helpers/test-lake.ts';
import { TEST_KEY } from '../silver/silver-fixture.ts';

const DAY = '2025-03-01' as IsoDate;
const RUN = 'run-redshift';
const ROLE = `iam_role 'arn:aws:iam::123456789012:role/etl'`;
const MARTS = ['mart_sales_daily', 'mart_rfm_customer'].map((name) => ({ schema: 'marts', name }));

let test: TestLake;
let lake: Lake;
let silver: SilverResult;
/** The lake root as an s3:// URL: `s3://<bucket>/<prefix>`. */
let root: string;

/** The URLs and sizes a COPY manifest in the lake lists. */
async function manifestEntries(key: string): Promise<[string, number][]> {
  const manifest = JSON.parse((await lake.store.get(key)).toString('utf8')) as {
    entries: { url: string; mandatory: boolean; meta: { content_length: number } }[];
  };
  for (const entry of manifest.entries) expect(entry.mandatory).toBe(true);
  return manifest.entries.map((entry) => [entry.url, entry.meta.content_length]);
}

/** What the committed snapshot of `table` lists (of one partition when given), as manifest entries. */
async function committed(table: string, partition: Record<string, string> = {}): Promise<[string, number][]> {
  return (await lake.snapshot(table)).files(partition).map((file) => [lake.urlOf(file.key)!, file.size]);
}

/** Redshift's side of an UNLOAD: one Parquet file of a few rows and the VERBOSE manifest listing it. */
async function playUnload(sql: string): Promise<void> {
  const match = /^unload \('select \* from "marts"\."(\w+)"'\) to '(s3:\/\/[^']+)'/.exec(sql);
  if (!match) return;
  const prefix = lake.keyOfUrl(match[2]!);
  const dir = mkdtempSync(join(tmpdir(), 'unload-'));
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  await db.run(
    `copy (select '${match[1]}' as mart, range as n, cast(range as decimal(18,2)) as amount from range(3)) to '${dir}/part.parquet' (format parquet)`,
  );
  const bytes = readFileSync(join(dir, 'part.parquet'));
  const key = `${prefix}0000_part_00.parquet`;
  await lake.store.put(key, bytes);
  await lake.store.put(
    `${prefix}manifest`,
    JSON.stringify({
      entries: [{ url: lake.urlOf(key), meta: { content_length: bytes.length, record_count: 3 } }],
      schema: { elements: [] },
      author: { name: 'Amazon Redshift', version: '1.0.0' },
    }),
  );
}

describe('Redshift with an S3 lake, for a generated day (SQL pinned)', () => {
  beforeAll(async () => {
    test = await createTestLake('s3', mkdtempSync(join(tmpdir(), 'fintech-redshift-')));
    lake = test.lake;
    root = lake.urlOf('x')!.slice(0, -2);
    const settings = testSettings({ rowsPerDay: 400, customers: 100, merchants: 30 });
    await generateBronze({ lake, settings, from: DAY, to: DAY });
    silver = await runSilver({
      config: test.config,
      lake,
      ingestDate: DAY,
      runId: RUN,
      tokenizationKey: TEST_KEY,
    });
  });

  afterAll(async () => {
    await lake?.close();
    await stopSharedS3Server();
  });

  it('loads the touched partitions with COPY … FORMAT AS PARQUET MANIFEST of exactly their committed files', async () => {
    const existing = {
      'staging.silver_transactions': 'BASE TABLE',
      'staging.silver_customers': 'BASE TABLE',
      'staging.silver_cards': 'BASE TABLE',
      'staging.silver_merchants': 'BASE TABLE',
      'staging.silver_transactions_batch': 'VIEW',
      'audit.ledger': 'BASE TABLE',
      'audit.quarantine': 'BASE TABLE',
    } as const;
    const { warehouse, writes } = recordingRedshift(existing);
    await loadWarehouse({
      warehouse,
      lake,
      logicalDate: DAY,
      touchedEventDates: silver.touchedEventDates,
      writtenFiles: silver.writtenFiles,
      runId: RUN,
    });
    const manifest = (name: string) => `${root}/silver/_copy_manifests/${RUN}/${name}.manifest`;
    const copy = (table: string, name: string, format = 'format as parquet') =>
      `copy ${table} from '${manifest(name)}' ${ROLE} ${format} manifest`;
    const dates = silver.touchedEventDates.map((date) => `'${date}'`).join(', ');
    const entity = (name: string) => [
      'create schema if not exists "staging"',
      expect.stringMatching(new RegExp(`^create table if not exists "staging"\\."silver_${name}" \\(`)),
      'begin',
      `delete from "staging"."silver_${name}" where "snapshot_date" in ('${DAY}')`,
      copy(`"staging"."silver_${name}"`, `silver_${name}`),
      'select pg_last_copy_count() as n',
      'commit',
      `analyze "staging"."silver_${name}"`,
    ];
    expect(writes()).toEqual([
      'create schema if not exists "staging"',
      'create schema if not exists "audit"',
      // Which silver commits the warehouse holds: none yet, so the run's commit is loaded.
      'create schema if not exists "audit"',
      expect.stringMatching(/^create table if not exists "audit"\."silver_commits" \(/),
      expect.stringMatching(/^select max\(ledger_version\) as ledger/),
      'select txn_id, modeled_by_run from "audit"."silver_commits" where ledger_version > -1',
      ...entity('customers'),
      ...entity('cards'),
      ...entity('merchants'),
      'begin',
      'delete from "audit"."quarantine__fintech_partition"',
      copy('"audit"."quarantine__fintech_partition"', 'quarantine-date'),
      'select pg_last_copy_count() as n',
      'commit',
      'analyze "audit"."quarantine__fintech_partition"',
      'begin',
      `delete from "audit"."quarantine" where ingest_date = cast('${DAY}' as date)`,
      // The fake's catalog answers every column lookup with (id, amount).
      'insert into "audit"."quarantine" ("id", "amount") select "id", "amount" from "audit"."quarantine__fintech_partition"',
      'commit',
      'begin',
      'commit',
      'create schema if not exists "audit"',
      // The ledger's scalar fields: json 'auto' leaves the nested ones out.
      expect.stringMatching(/^create table if not exists "audit"\."ledger" \(\n {2}run_id varchar\(256\),/),
      'begin',
      'delete from "audit"."ledger"',
      copy('"audit"."ledger"', 'ledger', "format as json 'auto'"),
      'select pg_last_copy_count() as n',
      'commit',
      'analyze "audit"."ledger"',
      // Last, the transactions, with the commit's record in the same transaction.
      'create schema if not exists "staging"',
      expect.stringMatching(/^create table if not exists "staging"\."silver_transactions" \(/),
      'begin',
      `delete from "staging"."silver_transactions" where "event_date" in (${dates})`,
      copy('"staging"."silver_transactions"', 'silver_transactions'),
      'select pg_last_copy_count() as n',
      expect.stringMatching(
        new RegExp(
          `^insert into "audit"\\."silver_commits" \\(txn_id, .*\\) values \\('${RUN}-[0-9a-f]{8}', '${RUN}', cast\\('${DAY}' as date\\), 0, 0, '${silver.touchedEventDates.join(',')}', `,
        ),
      ),
      'commit',
      'analyze "staging"."silver_transactions"',
      'create schema if not exists "staging"',
      'begin',
      expect.stringContaining(`cast('"staging"."silver_transactions_batch"' as regclass)`),
      'drop view if exists "staging"."silver_transactions_batch" cascade',
      `create view "staging"."silver_transactions_batch" as select * from "staging"."silver_transactions" where ingest_date = cast('${DAY}' as date)`,
      'commit',
    ]);
    // Each manifest lists exactly the committed files of what is loaded: the touched partitions, the day's
    // snapshots, every ledger entry, the day's quarantine file.
    const transactions = (await lake.snapshot(silverTable('transactions')))
      .files()
      .filter((file) => silver.touchedEventDates.includes(file.partitionValues['event_date'] as IsoDate))
      .map((file): [string, number] => [lake.urlOf(file.key)!, file.size]);
    expect(transactions.length).toBeGreaterThan(10);
    const key = (name: string) => lake.keyOfUrl(manifest(name));
    expect(await manifestEntries(key('silver_transactions'))).toEqual(transactions);
    for (const name of ['customers', 'cards', 'merchants'])
      expect(await manifestEntries(key(`silver_${name}`))).toEqual(
        await committed(silverTable(name as 'cards'), { snapshot_date: DAY }),
      );
    expect(await manifestEntries(key('ledger'))).toEqual(await committed(LEDGER_TABLE));
    expect(await manifestEntries(key('quarantine-date'))).toEqual(
      await committed(QUARANTINE_TABLE, { ingest_date: DAY }),
    );
  });

  it('loads every committed file into a fresh warehouse (the first load)', async () => {
    const { warehouse, writes } = recordingRedshift();
    await loadWarehouse({
      warehouse,
      lake,
      logicalDate: DAY,
      touchedEventDates: silver.touchedEventDates,
      writtenFiles: silver.writtenFiles,
      runId: `${RUN}-first`,
    });
    expect(writes()).toContain('delete from "staging"."silver_transactions"');
    const key = lake.keyOfUrl(`${root}/silver/_copy_manifests/${RUN}-first/silver_transactions.manifest`);
    expect(await manifestEntries(key)).toEqual(await committed(silverTable('transactions')));
  });

  it('exports gold with UNLOAD … TO the mart’s folder and commits the files its manifest lists', async () => {
    const { warehouse, writes } = recordingRedshift({}, playUnload);
    const exported = await exportGold(warehouse, lake, MARTS, { runId: RUN });
    const prefix = (mart: string) =>
      new RegExp(`^s3://[^']+/gold/marts/${mart}/part-${RUN}-[0-9a-f]{8}-$`.replaceAll('/', '\\/'));
    const unloads = writes();
    expect(unloads).toHaveLength(MARTS.length);
    for (const [index, mart] of MARTS.entries()) {
      const match = /^unload \('select \* from "marts"\."(\w+)"'\) to '([^']+)' (.*)$/.exec(unloads[index]!);
      expect(match?.[1]).toBe(mart.name);
      expect(match?.[2]).toMatch(prefix(mart.name));
      expect(match?.[3]).toBe(`${ROLE} format as parquet manifest verbose`);
      const files = (await lake.snapshot(goldTable(mart.name))).files();
      expect(files.map((file) => file.key)).toEqual([`${lake.keyOfUrl(match![2]!)}0000_part_00.parquet`]);
      expect(files[0]!.numRecords).toBe(3);
      expect(exported[index]).toEqual({ mart: mart.name, files: [files[0]!.key], rows: 3 });
    }
    // The gold table's schema in the log is the Parquet's.
    const metadata = (await lake.snapshot(goldTable('mart_sales_daily'))).metadata!;
    expect(
      JSON.parse(metadata.schemaString).fields.map((field: { name: string; type: string }) => [
        field.name,
        field.type,
      ]),
    ).toEqual([
      ['mart', 'string'],
      ['n', 'long'],
      ['amount', 'decimal(18,2)'],
    ]);
  });

  it('refuses a local lake, naming the config key', async () => {
    const local = await createTestLake('local', mkdtempSync(join(tmpdir(), 'fintech-redshift-local-')));
    const { warehouse, writes } = recordingRedshift();
    await expect(exportGold(warehouse, local.lake, MARTS)).rejects.toThrow(
      /config key 'lake': redshift exports gold with UNLOAD to S3, so the lake must be s3:\/\/…/,
    );
    expect(writes()).toEqual([]);
    await local.lake.close();
  });
});
