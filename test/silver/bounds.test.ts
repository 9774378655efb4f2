import { readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/core/dates.ts';
import { PipelineError } from '../../src/core/errors.ts';
import { ingestFiles } from '../../src/ingest/ingest-files.ts';
import { LEDGER_TABLE, QUARANTINE_TABLE, silverTable } from '../../src/lake/lake-layout.ts';
import {
  committedParquet,
  createSilverFixture,
  query,
  readSilver,
  type SilverFixture,
  txn,
  writeBronze,
} from './silver-fixture.ts';

const DAY = '2025-03-01' as IsoDate;

async function quarantined(f: SilverFixture): Promise<Record<string, unknown>[]> {
  const files = await committedParquet(f.lake, QUARANTINE_TABLE, { ingest_date: DAY });
  return query(`SELECT line, reason_codes, raw_record FROM ${files} ORDER BY line`);
}

describe('silver: every value a valid record carries fits the warehouse', () => {
  it('quarantines an amount or amount × FX beyond DECIMAL(18,2) as amount_out_of_range, showing the amount', async () => {
    const f = await createSilverFixture();
    await writeBronze(f.lake, DAY, [
      {
        name: 'part-00000.jsonl',
        lines: [
          // fits: 16 digits before the point, in the reporting currency (rate 1)
          txn('MAX_KRW', { amount: '9999999999999999.99', currency: 'KRW' }),
          // fits in USD, but × ~1,400 KRW per USD does not
          txn('BIG_USD', { amount: '99999999999999.99', currency: 'USD' }),
          txn('SEVENTEEN', { amount: '12345678901234567.00' }),
          txn('LEADING_ZEROS', { amount: '00000000000000000012.50' }),
          txn('BAD', { amount: '1.2.3' }),
        ],
      },
    ]);
    const { ledger } = await f.run(DAY);
    expect(ledger).toMatchObject({ bronze_rows: 5, inserted: 2, quarantined: 3 });
    expect(ledger.quarantined_by_reason).toEqual({ amount_out_of_range: 2, invalid_amount: 1 });
    const silver = await readSilver(f.lake);
    expect(silver.map((row) => [row['transaction_id'], row['amount'], row['amount_reporting']])).toEqual([
      ['LEADING_ZEROS', '12.50', '12.50'],
      ['MAX_KRW', '9999999999999999.99', '9999999999999999.99'],
    ]);
    const rejected = await quarantined(f);
    expect(rejected.map((row) => [row['line'], row['reason_codes']])).toEqual([
      ['2', ['amount_out_of_range']],
      ['3', ['amount_out_of_range']],
      ['5', ['invalid_amount']],
    ]);
    // the amount is shown as the money value it is; the card number in the same record stays masked
    expect(rejected[0]!['raw_record']).toContain('"amount":"99999999999999.99"');
    expect(rejected[0]!['raw_record']).toContain('"card_number":"411111******1111"');
  });

  it('quarantines a txn_ts before silver.earliest_event_date as early_timestamp', async () => {
    const f = await createSilverFixture();
    await writeBronze(f.lake, DAY, [
      {
        name: 'part-00000.jsonl',
        lines: [
          txn('YEAR_ONE', { txn_ts: '0001-01-01T00:00:00Z' }),
          txn('Y1999', { txn_ts: '1999-12-31T23:00:00+09:00' }),
          txn('Y2000', { txn_ts: '2000-01-01T00:00:00+09:00' }),
        ],
      },
    ]);
    const { ledger } = await f.run(DAY);
    expect(ledger).toMatchObject({ inserted: 1, quarantined: 2 });
    expect(ledger.quarantined_by_reason).toEqual({ early_timestamp: 2 });
    expect((await readSilver(f.lake)).map((row) => row['transaction_id'])).toEqual(['Y2000']);

    const later = await createSilverFixture();
    later.config.silver = { ...later.config.silver, earliest_event_date: '2025-01-01' };
    await writeBronze(later.lake, DAY, [
      { name: 'part-00000.jsonl', lines: [txn('OLD', { txn_ts: '2024-12-31T12:00:00+09:00' }), txn('NEW')] },
    ]);
    expect((await later.run(DAY)).ledger.quarantined_by_reason).toEqual({ early_timestamp: 1 });
  });

  it('quarantines a record with a NUL character, which PostgreSQL cannot store, as unsupported_character', async () => {
    const f = await createSilverFixture();
    await writeBronze(f.lake, DAY, [
      {
        name: 'part-00000.jsonl',
        lines: [
          txn('NUL', { merchant_name: 'Shop\u0000Name' }),
          // the escaped text \u0000 (a backslash in the value) is ordinary text
          txn('TEXT', { merchant_name: 'Shop\\u0000Name' }),
        ],
      },
    ]);
    const { ledger } = await f.run(DAY);
    expect(ledger.quarantined_by_reason).toEqual({ unsupported_character: 1 });
    expect((await readSilver(f.lake)).map((row) => [row['transaction_id'], row['merchant_name']])).toEqual([
      ['TEXT', 'Shop\\u0000Name'],
    ]);
  });
});

describe('silver: ambiguous input is never resolved silently', () => {
  it('quarantines a JSON record that names a field twice as duplicate_field', async () => {
    const f = await createSilverFixture();
    const clean = JSON.stringify(txn('DUP'));
    await writeBronze(f.lake, DAY, [
      {
        name: 'part-00000.jsonl',
        lines: [
          clean.replace('"amount":"12500.00"', '"amount":"1.00","amount":"12500.00"'),
          clean.replace('"DUP"', '"DUP2"').replace('}', ',"note":"a","note":"b"}'),
          txn('OK'),
          clean
            .replace('"DUP"', '"DUP3"')
            .replace('"status":"approved"', '"st\\u0061tus":"declined","status":"approved"'),
        ],
      },
    ]);
    const { ledger } = await f.run(DAY);
    expect(ledger).toMatchObject({ bronze_rows: 4, inserted: 1, quarantined: 3 });
    expect(ledger.quarantined_by_reason).toEqual({ duplicate_field: 3 });
    expect((await readSilver(f.lake)).map((row) => row['transaction_id'])).toEqual(['OK']);
  });

  it('quarantines every record of a CSV whose header names a field twice', async () => {
    const f = await createSilverFixture();
    const csv = [
      'transaction_id,customer_id,card_id,merchant_id,txn_ts,amount,currency,mcc,status,is_refund,channel,amount',
      'T1,C1,K1,M1,2025-03-01 09:00:00,15000,KRW,5812,approved,false,pos,1',
    ].join('\n');
    await writeBronze(f.lake, DAY, [{ name: 'part-00000.csv', text: `${csv}\n` }]);
    const { ledger } = await f.run(DAY);
    expect(ledger).toMatchObject({ bronze_rows: 1, inserted: 0, quarantined: 1 });
    expect(ledger.quarantined_by_reason).toEqual({ duplicate_field: 1 });
  });
});

describe('silver: CSV records as RFC 4180 reads them', () => {
  it('reads a quoted field spanning lines as one record, counted as ingest counted it', async () => {
    const f = await createSilverFixture();
    const header =
      'transaction_id,customer_id,card_id,merchant_id,txn_ts,amount,currency,mcc,status,is_refund,channel,merchant_name';
    const csv = [
      header,
      'T1,C1,K1,M1,2025-03-01 09:00:00,15000,KRW,5812,approved,false,pos,"Kimbap ""Heaven""',
      'Gangnam branch"',
      'T2,C2,K2,M2,2025-03-01 10:00:00,8000,KRW,5411,approved,false,pos,"one line"',
      'T3,C3,K3,M3,2025-03-01 11:00:00,100,KRW,5411,approved,false,pos,"three',
      '',
      'lines"',
      'T4,C4,K4,M4,2025-03-01 12:00:00,100,KRW,5411,approved,false,pos',
      '   ',
      'T5,C5,K5,M5,2025-03-01 13:00:00,200,KRW,5411,approved,false,pos,plain',
    ].join('\r\n');
    const source = join(tmpdir(), `multi-line-${process.pid}-${Date.now()}_${DAY}.csv`);
    await writeFile(source, `${csv}\r\n`);
    const [partition] = await ingestFiles({ lake: f.lake, files: [source] });
    const { ledger } = await f.run(DAY);
    // T4 lacks a field and the line of spaces is one field: both malformed records, not blank lines
    expect(ledger).toMatchObject({ bronze_rows: 6, inserted: 4, quarantined: 2 });
    expect(partition!.rows).toBe(ledger.bronze_rows);
    const silver = await readSilver(f.lake);
    expect(silver.map((row) => [row['transaction_id'], row['merchant_name'], row['source_line']])).toEqual([
      ['T1', 'Kimbap "Heaven"\nGangnam branch', '2'],
      ['T2', 'one line', '4'],
      ['T3', 'three\n\nlines', '5'],
      ['T5', 'plain', '10'],
    ]);
    expect((await quarantined(f)).map((row) => [row['line'], row['reason_codes']])).toEqual([
      ['8', ['malformed_record']],
      ['9', ['malformed_record']],
    ]);
  });
});

describe('silver: a bronze file that lost records since it was written', () => {
  it('fails naming a truncated gzip file (which DuckDB reads without an error) and commits nothing', async () => {
    const f = await createSilverFixture();
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify(txn(`T${i}`)));
    const gzip = gzipSync(`${lines.join('\n')}\n`);
    await writeBronze(f.lake, DAY, [
      { name: 'part-00000.jsonl.gz', bytes: gzip.subarray(0, Math.floor(gzip.length / 2)), rows: 3000 },
    ]);
    const run = f.run(DAY);
    await expect(run).rejects.toThrow(PipelineError);
    await expect(run).rejects.toThrow(
      /bronze file bronze\/transactions\/ingest_date=2025-03-01\/part-00000\.jsonl\.gz yields \d+ records where its manifest counted 3000: it is truncated or corrupt/,
    );
    expect((await f.lake.snapshot(silverTable('transactions'))).exists).toBe(false);
    expect((await f.lake.snapshot(LEDGER_TABLE)).exists).toBe(false);
    // The run's work folder (its staged silver files) is gone too.
    expect(await readdir(join(f.home, 'lake', '.tmp', 'work'))).toEqual([]);
  });
});
