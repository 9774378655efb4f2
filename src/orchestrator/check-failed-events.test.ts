import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSuite } from '../quality/load-suites.ts';
import type { ExpectationResult } from '../quality/quality-result.ts';
import { qualityCheckEvents, testCheckEvents } from './check-failed-events.ts';

const SUITE = parseSuite(
  `expectation_suite_name: transactions
dataset: transactions
partition_by: [event_date]
expectations:
  - expectation_type: expect_column_values_to_be_between
    kwargs: { column: amount, min_value: 0, max_value: 1000, row_condition: "status = 'approved'" }
  - expectation_type: expect_column_values_to_be_unique
    kwargs: { column: transaction_id }
    per_partition: true
  - expectation_type: expect_column_values_to_be_in_set
    kwargs: { column: merchant_id, value_set: { from_dataset: merchants, column: merchant_id } }
  - expectation_type: expect_column_mean_to_be_between
    kwargs: { column: amount, max_value: 10 }
    severity: warn
`,
  'transactions.yml',
);

/** A failed result of expectation `index`, as the gate records it. */
function failed(index: number, partition: string, sample: ExpectationResult['sample']): ExpectationResult {
  const expectation = SUITE.expectations[index]!;
  return {
    suite: SUITE.name,
    dataset: 'transactions',
    expectationId: expectation.id,
    expectation: expectation.type,
    column: null,
    severity: expectation.severity,
    partition,
    success: false,
    observed: null,
    elementCount: 5,
    unexpectedCount: 1,
    unexpectedPercent: 20,
    details: `expectation ${index} failed`,
    sample,
    location: expectation.location,
    kwargs: {},
  };
}

describe('check-failed events', () => {
  let instance: DuckDBInstance;
  const rows = async (sql: string) =>
    (await (await instance.connect()).runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(`create schema staging;
      create table staging.silver_transactions_batch as select * from (values
        ('t1', 'm1', 'approved', 12.50::decimal(18,2), date '2025-03-01'),
        ('t2', 'm1', 'approved', 5000.00::decimal(18,2), date '2025-03-01'),
        ('t3', 'm9', 'declined', 9000.00::decimal(18,2), date '2025-03-02'),
        ('t3', 'm2', 'approved', 20.00::decimal(18,2), date '2025-03-02'),
        ('t4', 'm2', 'approved', 1.00::decimal(18,2), date '2025-03-01'),
        ('t4', 'm2', 'approved', 1.00::decimal(18,2), date '2025-03-02')
      ) as t(transaction_id, merchant_id, status, amount, event_date);
      create table staging.silver_merchants as select * from (values ('m1'), ('m2')) as m(merchant_id);`);
  });
  afterAll(() => instance.closeSync());

  it('gives each failed expectation SQL that selects exactly its offending rows or values', async () => {
    const events = qualityCheckEvents(
      {
        results: [
          failed(3, 'ingest_date=2025-03-02', []),
          failed(0, 'ingest_date=2025-03-02', [{ transaction_id: 't2', amount: '5000.00' }]),
          failed(1, 'event_date=2025-03-02', [{ transaction_id: 't3', rows: 2 }]),
          failed(2, 'ingest_date=2025-03-02', [{ transaction_id: 't3', merchant_id: 'm9' }]),
        ],
      },
      [SUITE],
    );
    expect(events.map((event) => [event.name, event.severity, event.status])).toEqual([
      ["transactions.expect_column_values_to_be_between(amount) where status = 'approved'", 'error', 'fail'],
      [
        'transactions.expect_column_values_to_be_unique(transaction_id) [event_date=2025-03-02]',
        'error',
        'fail',
      ],
      ['transactions.expect_column_values_to_be_in_set(merchant_id)', 'error', 'fail'],
      ['transactions.expect_column_mean_to_be_between(amount)', 'warn', 'warn'],
    ]);
    const [between, unique, inSet, mean] = events;
    // Only approved rows are in the range's domain: t3 (declined, 9000) is not offending.
    expect(await rows(between!.sql!)).toEqual([{ transaction_id: 't2', amount: 5000 }]);
    // Per partition: t3 repeats on 2025-03-02; t4 appears once in each partition, which is no repeat.
    expect(await rows(unique!.sql!)).toEqual([{ transaction_id: 't3', rows: 2n }]);
    expect(await rows(inSet!.sql!)).toEqual([{ transaction_id: 't3', merchant_id: 'm9' }]);
    expect(inSet!.sql).toContain('from staging.silver_merchants');
    // A mean has no offending rows: the report shows its details, no SQL.
    expect(mean!.sql).toBeUndefined();
    expect(between!.sample).toEqual([{ transaction_id: 't2', amount: '5000.00' }]);
    expect(between!.failures).toBe(1);
  });

  it('reports every test that did not pass with its SQL and sample; one that could not run as an error', () => {
    const events = testCheckEvents([
      {
        name: 'unique_x',
        model: 'x',
        severity: 'error',
        status: 'pass',
        failures: 0,
        sample: [],
        seconds: 0,
        sql: 'a',
      },
      {
        name: 'not_null_x_id',
        model: 'x',
        severity: 'error',
        status: 'fail',
        failures: 3,
        sample: [{ id: null }],
        seconds: 0,
        sql: 'select * from x where id is null',
      },
      {
        name: 'broken',
        model: 'x',
        severity: 'error',
        status: 'error',
        failures: 0,
        sample: [],
        message: 'Binder Error: column y not found',
        seconds: 0,
        sql: 'select y from x',
      },
    ]);
    expect(events).toEqual([
      {
        kind: 'check-failed',
        check: 'test',
        name: 'not_null_x_id',
        target: 'x',
        severity: 'error',
        status: 'fail',
        failures: 3,
        details: '3 offending rows in x',
        sql: 'select * from x where id is null',
        sample: [{ id: null }],
      },
      {
        kind: 'check-failed',
        check: 'test',
        name: 'broken',
        target: 'x',
        severity: 'error',
        status: 'error',
        failures: null,
        details: 'the test could not run: Binder Error: column y not found',
        sql: 'select y from x',
        sample: [],
      },
    ]);
  });
});
