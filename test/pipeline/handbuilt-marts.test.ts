/**
 * The hand-built dataset (test/fixtures/handbuilt) through the whole daily pipeline, on DuckDB and on a real
 * PostgreSQL: ledger, fact and every customer mart equal the figures computed by hand.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/core/dates.ts';
import { goldTable } from '../../src/lake/lake-layout.ts';
import {
  AS_OF,
  EXPECTED_COHORTS,
  EXPECTED_LEDGER,
  EXPECTED_LTV,
  EXPECTED_RFM,
  EXPECTED_SALES,
  INGEST_DATES,
} from '../fixtures/handbuilt/expected-marts.ts';
import { writeHandbuiltDay } from '../helpers/handbuilt-bronze.ts';
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
import { committedParquet } from '../silver/silver-fixture.ts';

const pick = (rows: Record<string, unknown>[], keys: string[]) =>
  rows.map((row) => Object.fromEntries(keys.map((key) => [key, row[key]])));

const postgresSkip = await postgresSkipReason();

describe.each([
  { engine: 'duckdb', skip: undefined },
  { engine: 'postgres', skip: postgresSkip },
])('hand-built dataset on $engine', ({ engine, skip }) => {
  let harness: PipelineHarness;
  let database: TestDatabase | undefined;
  const lateMartAfterDay3: Record<string, unknown>[] = [];

  beforeAll(async () => {
    if (skip) return;
    database = engine === 'postgres' ? await createTestDatabase() : undefined;
    harness = await createPipelineHarness({ warehouseUrl: database?.url });
    for (const day of INGEST_DATES) {
      await writeHandbuiltDay(harness.lake, day as IsoDate);
      expectRunOk(await harness.run(day as IsoDate));
      if (day === '2025-02-01') {
        lateMartAfterDay3.push(
          ...(await harness.rows('marts.mart_sales_daily')).filter((r) => r['event_date'] === '2025-01-21'),
        );
      }
    }
  }, END_TO_END_SETUP_MS);

  afterAll(async () => {
    await harness?.close();
    await database?.drop();
  });

  it.skipIf(skip)('balances the ledger of every ingest day exactly', async () => {
    const ledger = await harness.rows('audit.ledger');
    for (const day of INGEST_DATES) {
      const entry = ledger.find((row) => row['ingest_date'] === day)!;
      const [bronze, inserted, superseded, duplicates, quarantined] = EXPECTED_LEDGER[day]!;
      expect(
        [
          entry['bronze_rows'],
          entry['inserted'],
          entry['superseded'],
          entry['duplicates'],
          entry['quarantined'],
        ].map(Number),
        day,
      ).toEqual([bronze, inserted, superseded, duplicates, quarantined]);
    }
    const quarantine = await harness.rows('audit.quarantine');
    expect(quarantine).toHaveLength(1);
    expect(String(quarantine[0]!['reason_codes'])).toContain('non_positive_amount');
  });

  it.skipIf(skip)('keeps one fact row per transaction, with the newest version of each', async () => {
    const fact = await harness.rows('core.fact_transactions');
    expect(fact.map((row) => row['transaction_id']).sort()).toEqual(
      ['T1', 'T10', 'T11', 'T12', 'T13', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'T8', 'T9'].sort(),
    );
    const byId = Object.fromEntries(fact.map((row) => [row['transaction_id'], row]));
    expect(byId['T4']).toMatchObject({
      amount: '25000.00',
      amount_reporting: '25000.00',
      event_date: '2025-01-30',
    });
    expect(byId['T5']).toMatchObject({ event_date: '2025-01-29' });
    expect(byId['T2']).toMatchObject({ status: 'reversed', is_purchase: false });
    expect(byId['T9']).toMatchObject({ is_fraud: true, merchant_category: 'lodging', country: 'US' });
  });

  it.skipIf(skip)('points the fact at the dimension versions valid on the event date', async () => {
    const customers = await harness.rows('core.dim_customer');
    const c1 = customers.filter((row) => row['customer_id'] === 'C1');
    const versions = pick(c1, ['city', 'valid_from', 'valid_to', 'is_current']);
    expect(versions.sort((a, b) => String(a['valid_from']).localeCompare(String(b['valid_from'])))).toEqual([
      { city: 'Seoul', valid_from: '1900-01-01', valid_to: '2025-02-01', is_current: false },
      { city: 'Busan', valid_from: '2025-02-01', valid_to: '9999-12-31', is_current: true },
    ]);
    const keyOf = (city: string) => c1.find((row) => row['city'] === city)!['customer_key'];
    const fact = await harness.rows('core.fact_transactions');
    const factKey = (id: string) => fact.find((row) => row['transaction_id'] === id)!['customer_key'];
    expect(factKey('T6')).toBe(keyOf('Seoul'));
    expect(factKey('T10')).toBe(keyOf('Busan'));
    const cards = await harness.rows('core.dim_card');
    const limits = cards.filter((row) => row['card_id'] === 'CA2').map((row) => row['credit_limit']);
    expect(limits.sort()).toEqual(['3000000.00', '5000000.00']);
    expect(JSON.stringify(cards)).not.toMatch(/4111110000000021/);
  });

  it.skipIf(skip)('computes RFM, lifetime value and cohorts as of the last logical date', async () => {
    const rfm = await harness.rows('marts.mart_rfm_customer');
    expect(rfm.every((row) => row['as_of_date'] === AS_OF)).toBe(true);
    expect(pick(rfm, Object.keys(EXPECTED_RFM[0]!))).toEqual(EXPECTED_RFM);
    const ltv = await harness.rows('marts.mart_customer_ltv');
    expect(pick(ltv, Object.keys(EXPECTED_LTV[0]!))).toEqual(EXPECTED_LTV);
    const cohorts = await harness.rows('marts.mart_cohort_retention');
    expect(pick(cohorts, Object.keys(EXPECTED_COHORTS[0]!))).toEqual(EXPECTED_COHORTS);
  });

  it.skipIf(skip)('computes daily sales per date, category and channel', async () => {
    const sales = await harness.rows('marts.mart_sales_daily');
    const keys = [
      'event_date',
      'merchant_category',
      'channel',
      'transaction_count',
      'purchase_count',
      'purchase_amount',
      'refund_count',
      'refund_amount',
      'net_amount',
      'declined_count',
      'approval_rate',
    ];
    expect(sales.map((row) => keys.map((key) => row[key]))).toEqual(EXPECTED_SALES);
  });

  it.skipIf(skip)('brings an 11-day-late record into its own event date in the run that received it', () => {
    expect(lateMartAfterDay3).toEqual([
      expect.objectContaining({
        merchant_category: 'dining',
        channel: 'pos',
        purchase_count: 1,
        net_amount: '4000.00',
      }),
    ]);
  });

  it.skipIf(skip)('exports every mart to gold Parquet with the warehouse rows', async () => {
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    for (const mart of MARTS) {
      const files = (await harness.lake.snapshot(goldTable(mart))).files();
      expect(
        files.map((file) => file.key),
        mart,
      ).toEqual([expect.stringMatching(new RegExp(`^gold/marts/${mart}/part-00000-run-.+\\.parquet$`))]);
      const reader = await db.runAndReadAll(
        `select count(*)::integer as n from ${await committedParquet(harness.lake, goldTable(mart))}`,
      );
      expect(reader.getRowObjectsJS()[0]!['n'], mart).toBe((await harness.rows(`marts.${mart}`)).length);
      expect(files[0]!.numRecords, mart).toBe((await harness.rows(`marts.${mart}`)).length);
    }
    const rfm = await db.runAndReadAll(
      `select customer_id, monetary::varchar as monetary from ${await committedParquet(harness.lake, goldTable('mart_rfm_customer'))} order by 1`,
    );
    expect(rfm.getRowObjectsJS().map((row) => row['monetary'])).toEqual([
      '31000.00',
      '21000.00',
      '18000.00',
      '200000.00',
    ]);
  });
});
