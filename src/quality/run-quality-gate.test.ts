/**
 * The gate on a hand-made silver batch with known values: every expectation type, exact observed values, the
 * batch scope (rows of other ingest dates in the same files are not judged), one scan per dataset, samples only
 * for failures, and suite mistakes found against the data's columns. The batch is committed to a local lake and
 * to an S3 lake: the gate finds its files through the committed snapshots (and reads an S3 lake's through the
 * cache).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestLake, STORE_KINDS, stopSharedS3Server } from '../../test/helpers/test-lake.ts';
import type { IsoDate } from '../core/dates.ts';
import type { TableDefinition } from '../lake/commit-log/commit-tables.ts';
import type { Lake } from '../lake/lake.ts';
import {
  QUARANTINE_DEFINITION,
  SILVER_INDEX_DEFINITION,
  silverTableDefinition,
} from '../silver/silver-tables.ts';
import { parseSuite, SuiteError } from './load-suites.ts';
import type { ExpectationResult, QualityGateResult } from './quality-result.ts';
import { runQualityGate } from './run-quality-gate.ts';

const D = '2025-03-10' as IsoDate;

const SUITE = `expectation_suite_name: transactions
dataset: transactions
partition_by: [event_date]
expectations:
  - expectation_type: expect_column_values_to_not_be_null
    kwargs: {column: customer_id, mostly: 0.9}
  - expectation_type: expect_column_values_to_be_in_set
    kwargs: {column: currency, value_set: [KRW, USD]}
  - expectation_type: expect_column_values_to_be_between
    kwargs: {column: amount, min_value: 0, strict_min: true, max_value: "1000.00"}
  - expectation_type: expect_column_values_to_match_regex
    kwargs: {column: mcc, regex: '^[0-9]{4}$'}
  - expectation_type: expect_column_values_to_be_unique
    kwargs: {column: transaction_id}
    per_partition: true
  - expectation_type: expect_compound_columns_to_be_unique
    kwargs: {column_list: [customer_id, amount]}
    severity: warn
  - expectation_type: expect_column_value_lengths_to_be_between
    kwargs: {column: currency, min_value: 3, max_value: 3}
  - expectation_type: expect_column_pair_values_a_to_be_greater_than_b
    kwargs: {column_A: ingest_date, column_B: event_date, or_equal: true}
  - expectation_type: expect_table_row_count_to_be_between
    kwargs: {min_value: 10, max_value: 20}
  - expectation_type: expect_column_mean_to_be_between
    kwargs: {column: amount, min_value: 10, max_value: 20}
  - expectation_type: expect_column_proportion_of_unique_values_to_be_between
    kwargs: {column: customer_id, min_value: 0.5}
  - expectation_type: expect_column_distinct_values_to_be_in_set
    kwargs: {column: channel, value_set: [pos, online]}
  - expectation_type: expect_table_row_count_to_be_within_ratio_of_trailing_median
    kwargs: {min_ratio: 0.5, max_ratio: 2}
  - expectation_type: expect_column_mean_to_be_within_ratio_of_trailing_median
    kwargs: {column: amount, min_ratio: 0.5, max_ratio: 2, row_condition: "channel = 'pos'"}
  - expectation_type: expect_column_value_shares_to_be_within_trailing_shares
    kwargs: {column: currency, weight_column: amount, max_delta: 0.1}
  - expectation_type: expect_quarantine_rate_to_be_between
    kwargs: {max_value: 0.05}
  - expectation_type: expect_column_values_to_be_in_set
    kwargs: {column: merchant_id, value_set: {from_dataset: merchants, column: merchant_id}}
`;

/**
 * 12 rows of ingest date D (10 on event date D, 2 late ones on D-1), a 13th copying T1 under T5's id, and 3
 * rows of an earlier ingest date in the same files. Amounts 1.00 … 11.00 and 1,200.00 (T12); customers c0 … c5,
 * two null; one EUR, one mcc 'ABCD', one 'mobile' channel, one unknown merchant. Written to a work folder, then
 * uploaded and committed as silver's tables hold them.
 */
async function writeLake(lake: Lake): Promise<void> {
  const work = await lake.scratch('gate-test');
  const staged: {
    definition: TableDefinition;
    key: string;
    path: string;
    partition: Record<string, string>;
  }[] = [];
  const stage = (definition: TableDefinition, partition: Record<string, string>) => {
    const folder = Object.entries(partition)
      .map(([column, value]) => `${column}=${value}`)
      .join('/');
    const key = `${definition.table}/${folder}/data.parquet`;
    const path = join(work, `${staged.length}.parquet`);
    staged.push({ definition, key, path, partition });
    return path;
  };
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const rows = `(select
      'T' || i as transaction_id,
      case when i in (3, 4) then null else 'c' || (i % 6) end as customer_id,
      case when i = 7 then 'M-unknown' else 'M1' end as merchant_id,
      cast(case when i = 12 then 1200 else i end as decimal(18, 2)) as amount,
      case when i = 2 then 'EUR' when i % 2 = 0 then 'USD' else 'KRW' end as currency,
      case when i = 5 then 'ABCD' else '5812' end as mcc,
      case when i = 9 then 'mobile' when i % 3 = 0 then 'online' else 'pos' end as channel,
      case when i > 10 then date '${D}' - 1 else date '${D}' end as event_date,
      date '${D}' as ingest_date
    from range(1, 13) t(i))`;
  const transactions = silverTableDefinition('transactions');
  const partition = (eventDate: string) =>
    stage(transactions, { event_date: eventDate, merchant_category: 'dining' });
  // t5 again on event date D (a duplicate silver would never write), and earlier rows sharing the files.
  await db.run(
    `copy (select * from ${rows} where event_date = date '${D}'
           union all select * replace ('T5' as transaction_id) from ${rows} where transaction_id = 'T1'
           union all select * replace ('OLD' || transaction_id as transaction_id, date '${D}' - 3 as ingest_date, 'ZZZ' as currency) from ${rows} where transaction_id in ('T1', 'T2', 'T3'))
     to '${partition(D)}' (format parquet)`,
  );
  await db.run(
    `copy (select * from ${rows} where event_date < date '${D}') to '${partition('2025-03-09')}' (format parquet)`,
  );
  await db.run(
    `copy (select transaction_id, event_date, 'dining' as merchant_category from ${rows}) to '${stage(SILVER_INDEX_DEFINITION, { ingest_date: D })}' (format parquet)`,
  );
  await db.run(
    `copy (select 'M1' as merchant_id, 'dining' as merchant_category, date '2025-03-08' as snapshot_date) to '${stage(silverTableDefinition('merchants'), { snapshot_date: '2025-03-08' })}' (format parquet)`,
  );
  await db.run(
    `copy (select 'bronze/x.jsonl' as source_file, i as line, ['unknown_currency'] as reason_codes, '{"amount": 1}' as raw_record from range(1, 4) t(i)) to '${stage(QUARANTINE_DEFINITION, { ingest_date: D })}' (format parquet)`,
  );
  db.closeSync();
  await lake.withWriterLease(async () => {
    const byTable = new Map<
      TableDefinition,
      { key: string; partitionValues: Record<string, string>; size: number }[]
    >();
    for (const file of staged) {
      const info = await lake.upload(file.key, file.path);
      byTable.set(file.definition, [
        ...(byTable.get(file.definition) ?? []),
        { key: info.key, partitionValues: file.partition, size: info.size },
      ]);
    }
    await lake.commit(
      [...byTable].map(([definition, add]) => ({ definition, add, remove: [] })),
      { operation: 'WRITE', runId: 'hand-made' },
    );
  });
  await lake.releaseScratch(work);
}

const history = [1, 2, 3].map((back) => ({
  ingestDate: `2025-03-0${10 - back - 1 + 1}` as IsoDate,
  runId: `r${back}`,
  metrics: {
    transactions: {
      row_count: { kind: 'count' as const, value: 10 + back },
      "mean(amount) where channel = 'pos'": {
        kind: 'mean' as const,
        sum: String(10 * (4 + back)),
        count: 10,
      },
      'shares(currency by amount)': {
        kind: 'shares' as const,
        weights: { KRW: '50.00', USD: '50.00' },
        total: '100.00',
      },
    },
  },
}));

afterAll(() => stopSharedS3Server());

describe.each(STORE_KINDS)('runQualityGate on a hand-made batch (%s lake)', (store) => {
  let lake: Lake;
  let gate: QualityGateResult;
  const result = (id: string, partition?: string): ExpectationResult => {
    const found = gate.results.find(
      (candidate) =>
        candidate.expectationId === id && (partition === undefined || candidate.partition === partition),
    );
    if (!found) throw new Error(`no result ${id} ${partition ?? ''}`);
    return found;
  };

  beforeAll(async () => {
    lake = (await createTestLake(store, mkdtempSync(join(tmpdir(), 'gate-')))).lake;
    await writeLake(lake);
    gate = await runQualityGate({
      lake,
      ingestDate: D,
      runId: 'run-1',
      suites: [parseSuite(SUITE, 'transactions.yml')],
      ledger: { bronze_rows: 100, quarantined: 3, quarantined_by_reason: { unknown_currency: 3 } },
      history,
    });
  });

  it('judges only the rows of ingest date D, in one scan and one sample query', () => {
    expect(gate.datasets).toEqual([{ dataset: 'transactions', status: 'checked', files: 2, rows: 13 }]);
    expect(gate.queries).toEqual({ scans: 1, samples: 1, total: 4 });
    expect(gate.batch).toEqual({
      transactionFiles: [
        'silver/transactions/event_date=2025-03-09/merchant_category=dining/data.parquet',
        'silver/transactions/event_date=2025-03-10/merchant_category=dining/data.parquet',
      ],
      eventDates: ['2025-03-09', '2025-03-10'],
      source: 'index',
    });
    expect(gate.outcome).toBe('failed');
  });

  it('counts unexpected rows as Great Expectations does, with mostly and samples', () => {
    const nulls = result('expect_column_values_to_not_be_null(customer_id)');
    expect(nulls).toMatchObject({
      success: false,
      elementCount: 13,
      unexpectedCount: 2,
      unexpectedPercent: 15.3846,
    });
    expect(nulls.sample.map((row) => row['transaction_id']).sort()).toEqual(['T3', 'T4']);
    expect(nulls.sample[0]!['customer_id']).toBeNull();
    expect(result('expect_column_value_lengths_to_be_between(currency)').sample).toEqual([]);
    const currency = result('expect_column_values_to_be_in_set(currency)');
    expect(currency).toMatchObject({ success: false, elementCount: 13, unexpectedCount: 1 });
    expect(currency.sample).toEqual([{ transaction_id: 'T2', currency: 'EUR' }]);
    expect(result('expect_column_values_to_be_between(amount)')).toMatchObject({
      success: false,
      unexpectedCount: 1,
    });
    expect(result('expect_column_values_to_be_between(amount)').sample).toEqual([
      { transaction_id: 'T12', amount: '1200.00' },
    ]);
    expect(result('expect_column_values_to_match_regex(mcc)').sample).toEqual([
      { transaction_id: 'T5', mcc: 'ABCD' },
    ]);
    expect(result('expect_column_value_lengths_to_be_between(currency)').success).toBe(true);
    expect(result('expect_column_pair_values_a_to_be_greater_than_b(ingest_date, event_date)').success).toBe(
      true,
    );
    expect(result('expect_column_values_to_be_in_set(merchant_id)')).toMatchObject({
      success: false,
      unexpectedCount: 1,
    });
    expect(result('expect_column_values_to_be_in_set(merchant_id)').sample).toEqual([
      { transaction_id: 'T7', merchant_id: 'M-unknown' },
    ]);
  });

  it('judges per-partition expectations in each partition, sampling the duplicated values', () => {
    const onD = result('expect_column_values_to_be_unique(transaction_id)', `event_date=${D}`);
    expect(onD).toMatchObject({ success: false, elementCount: 11, unexpectedCount: 1 });
    expect(onD.sample).toEqual([{ transaction_id: 'T5', rows: '2' }]);
    expect(
      result('expect_column_values_to_be_unique(transaction_id)', 'event_date=2025-03-09'),
    ).toMatchObject({
      success: true,
      elementCount: 2,
      sample: [],
    });
  });

  it('computes table and column statistics exactly', () => {
    expect(result('expect_table_row_count_to_be_between()')).toMatchObject({ success: true, observed: 13 });
    // (1 + … + 11 + 1,200 + 1 of the copy) / 13 = 1,267 / 13
    const mean = result('expect_column_mean_to_be_between(amount)');
    expect(mean).toMatchObject({ success: false, observed: '97.46', elementCount: 13 });
    // c0 … c5 over 11 non-null values
    expect(result('expect_column_proportion_of_unique_values_to_be_between(customer_id)')).toMatchObject({
      success: true,
      observed: 0.545455,
    });
    expect(result('expect_column_distinct_values_to_be_in_set(channel)')).toMatchObject({
      success: false,
      observed: ['mobile'],
      sample: [{ channel: 'mobile', rows: '1' }],
    });
    const compound = result('expect_compound_columns_to_be_unique(customer_id, amount)');
    expect(compound).toMatchObject({ success: false, severity: 'warn', unexpectedCount: 1 });
    expect(compound.sample).toEqual([{ customer_id: 'c1', amount: '1.00', rows: '2' }]);
  });

  it('compares with the trailing days and reads the quarantine rate from the ledger', () => {
    expect(result('expect_table_row_count_to_be_within_ratio_of_trailing_median()')).toMatchObject({
      success: true,
      observed: { value: '13', trailing_median: '12', ratio: '1.0833', trailing_days: 3 },
    });
    const mean = result(
      "expect_column_mean_to_be_within_ratio_of_trailing_median(amount) where channel = 'pos'",
    );
    // pos rows: 1, 2, 4, 5, 7, 8, 10, 11 and the copy's 1 → 49 / 9 against the median of 5, 6, 7
    expect(mean.observed).toEqual({
      value: '5.44',
      trailing_median: '6.00',
      ratio: '0.9074',
      trailing_days: 3,
    });
    const shares = result('expect_column_value_shares_to_be_within_trailing_shares(currency, amount)');
    expect(shares.success).toBe(false);
    expect((shares.observed as { value: string }[]).map((row) => row.value)).toEqual(['KRW', 'USD', 'EUR']);
    expect(shares.unexpectedCount).toBe(2);
    const quarantine = result('expect_quarantine_rate_to_be_between()');
    expect(quarantine).toMatchObject({
      success: true,
      observed: 0.03,
      unexpectedCount: 3,
      elementCount: 100,
    });
    expect(gate.metrics.transactions!['row_count']).toEqual({ kind: 'count', value: 13 });
  });

  it('refuses a column the batch does not have and a row_condition that does not bind, naming the line', async () => {
    const bad = (expectation: string) =>
      runQualityGate({
        lake,
        ingestDate: D,
        runId: 'run-2',
        suites: [
          parseSuite(
            `expectation_suite_name: t\ndataset: transactions\nexpectations:\n${expectation}`,
            't.yml',
          ),
        ],
        history: [],
      });
    await expect(
      bad('  - expectation_type: expect_column_values_to_not_be_null\n    kwargs: {column: amout}\n'),
    ).rejects.toThrow(
      /^t\.yml:4: column 'amout' of expect_column_values_to_not_be_null is not a column of silver transactions; allowed: transaction_id, customer_id, /,
    );
    await expect(
      bad(
        '  - expectation_type: expect_column_values_to_not_be_null\n    kwargs: {column: amount}\n  - expectation_type: expect_column_values_to_not_be_null\n    kwargs: {column: amount, row_condition: "stauts = \'x\'"}\n',
      ),
    ).rejects.toThrow(SuiteError);
    await expect(
      bad(
        '  - expectation_type: expect_column_values_to_not_be_null\n    kwargs: {column: amount, row_condition: "stauts = \'x\'"}\n',
      ),
    ).rejects.toThrow(
      /^t\.yml:4: row_condition 'stauts = 'x'' of expect_column_values_to_not_be_null is not a SQL condition/,
    );
  });
});
