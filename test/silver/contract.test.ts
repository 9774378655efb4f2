import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { QUARANTINE_TABLE } from '../../src/lake/lake-layout.ts';
import {
  committedParquet,
  createSilverFixture,
  query,
  readSilver,
  TEST_KEY,
  txn,
  writeBronze,
} from './silver-fixture.ts';

const PAN = '4111111111111111';

describe('silver contract enforcement', () => {
  it('skips blank lines (empty or only space characters) but quarantines a line of a tab', async () => {
    const f = await createSilverFixture();
    await writeBronze(f.lake, '2025-03-01', [
      { name: 'part-00000.jsonl', lines: [txn('A'), '', '   ', '\u00a0 \u3000', '\t', txn('B')] },
    ]);
    const { ledger } = await f.run('2025-03-01');
    expect(ledger).toMatchObject({ bronze_rows: 3, inserted: 2, quarantined: 1 });
    expect(ledger.quarantined_by_reason).toEqual({ malformed_record: 1 });
    const quarantine = await query(`SELECT line FROM ${await committedParquet(f.lake, QUARANTINE_TABLE)}`);
    expect(quarantine.map((row) => row['line'])).toEqual(['5']);
  });

  it('trims space characters (also Unicode ones) off every field, but not tabs, and reads a blank field as missing', async () => {
    const f = await createSilverFixture();
    await writeBronze(f.lake, '2025-03-01', [
      {
        name: 'part-00000.jsonl',
        lines: [
          txn(' T1 ', {
            customer_id: '\u00a0C002\u3000',
            status: '\u2003Approved',
            merchant_name: ' Café  Seoul ',
            city: 'Seoul\u202f',
            country: 'KR',
            entry_mode: 'chip',
            decline_reason: '\u00a0 ',
          }),
          txn('T2', { channel: 'pos\t' }),
          txn('T3', { card_id: '\u3000' }),
        ],
      },
    ]);
    const { ledger } = await f.run('2025-03-01');
    expect(ledger).toMatchObject({ bronze_rows: 3, inserted: 1, quarantined: 2 });
    expect(ledger.quarantined_by_reason).toEqual({ invalid_channel: 1, missing_required: 1 });
    const silver = await readSilver(f.lake);
    expect(silver).toHaveLength(1);
    expect(silver[0]).toMatchObject({
      transaction_id: 'T1',
      customer_id: 'C002',
      status: 'approved',
      merchant_name: 'Café  Seoul',
      city: 'Seoul',
      country: 'KR',
      entry_mode: 'chip',
      decline_reason: null,
    });
  });

  it('quarantines bad records with every reason code that applies, and keeps good ones', async () => {
    const f = await createSilverFixture();
    await writeBronze(f.lake, '2025-03-01', [
      {
        name: 'part-00000.jsonl',
        lines: [
          txn('OK1', { status: ' APPROVED ', channel: 'Online', currency: 'krw', is_refund: 'yes' }),
          '{"transaction_id": "BROKEN", ',
          '[1, 2, 3]',
          txn('', {}),
          txn('MISS', { amount: undefined }),
          txn('AMT', { amount: '12.345' }),
          txn('NEG', { amount: '-5.00' }),
          txn('ZERO', { amount: 0 }),
          txn('CUR', { currency: 'XYZ' }),
          txn('MCC', { mcc: '54A1' }),
          txn('TS', { txn_ts: '2025-02-30 25:00:00' }),
          txn('FUT', { txn_ts: '2025-03-03T02:00:00+09:00' }),
          txn('STAT', { status: 'pending' }),
          txn('CHAN', { channel: 'atm' }),
          txn('BOOL', { is_refund: 'maybe' }),
          txn('PAN', { card_number: '4111111111111112' }),
          txn('FX', { txn_ts: '2019-06-01T10:00:00+09:00', currency: 'USD', amount: '10.00' }),
          txn('MULTI', { amount: 'abc', currency: 'XYZ', status: 'nope', card_number: '1234567890123' }),
          txn('OK2', { amount: 9.5, txn_ts: '2025-03-01 23:59:59', card_number: undefined }),
        ],
      },
    ]);
    const { ledger } = await f.run('2025-03-01');
    expect(ledger).toMatchObject({
      bronze_rows: 19,
      inserted: 2,
      superseded: 0,
      duplicates: 0,
      quarantined: 17,
    });
    expect(ledger.quarantined_by_reason).toEqual({
      malformed_record: 2,
      missing_required: 2,
      invalid_amount: 2,
      non_positive_amount: 2,
      unknown_currency: 2,
      invalid_mcc: 1,
      invalid_timestamp: 1,
      future_timestamp: 1,
      invalid_status: 2,
      invalid_channel: 1,
      invalid_boolean: 1,
      invalid_pan: 2,
      no_fx_rate: 1,
    });
    const quarantine = await query(
      `SELECT line, reason_codes, raw_record, source_file, run_id, ingest_date
       FROM ${await committedParquet(f.lake, QUARANTINE_TABLE)} ORDER BY line`,
    );
    expect(quarantine.map((row) => row['line'])).toEqual([
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
      '10',
      '11',
      '12',
      '13',
      '14',
      '15',
      '16',
      '17',
      '18',
    ]);
    expect(quarantine.at(-1)).toMatchObject({
      reason_codes: ['invalid_amount', 'unknown_currency', 'invalid_status', 'invalid_pan'],
      source_file: 'bronze/transactions/ingest_date=2025-03-01/part-00000.jsonl',
      run_id: 'run-1',
      ingest_date: '2025-03-01',
    });
    expect(quarantine[0]!['raw_record']).toBe('{"transaction_id": "BROKEN", ');
    expect(quarantine[14]!['raw_record']).toContain('"card_number":"411111******1112"');

    const silver = await readSilver(f.lake);
    expect(silver).toHaveLength(2);
    expect(silver[0]).toMatchObject({
      transaction_id: 'OK1',
      status: 'approved',
      channel: 'online',
      currency: 'KRW',
      is_refund: true,
      amount: '12500.00',
      txn_ts: '2025-03-01 04:45:12',
      event_date: '2025-03-01',
      merchant_category: 'grocery',
      card_bin: '411111',
      card_last4: '1111',
      card_token: createHmac('sha256', TEST_KEY).update(PAN).digest('hex'),
      source_line: '1',
    });
    expect(silver[1]).toMatchObject({
      transaction_id: 'OK2',
      amount: '9.50',
      txn_ts: '2025-03-01 14:59:59',
      event_date: '2025-03-01',
      card_token: null,
    });
  });

  it('keeps one bad line from failing its file: invalid UTF-8 and control characters are quarantined', async () => {
    const f = await createSilverFixture();
    const text = `${JSON.stringify(txn('G1'))}\n\x01{"x":1}\n\xff\xfe\n${JSON.stringify(txn('G2'))}\r\n`;
    await writeBronze(f.lake, '2025-03-01', [
      { name: 'part-00000.jsonl', bytes: Buffer.from(text, 'latin1') },
    ]);
    const { ledger } = await f.run('2025-03-01');
    expect(ledger).toMatchObject({ bronze_rows: 4, inserted: 2, quarantined: 2 });
    expect(ledger.quarantined_by_reason).toEqual({ malformed_record: 2 });
    expect((await readSilver(f.lake)).map((row) => row['source_line'])).toEqual(['1', '4']);
  });

  it('converts to the reporting currency with as-of rates and cross rates through KRW', async () => {
    const f = await createSilverFixture({ config: { reporting_currency: 'USD' } });
    await writeBronze(f.lake, '2025-03-01', [
      {
        name: 'part-00000.jsonl',
        lines: [
          txn('K', { amount: '14000.00', currency: 'KRW', mcc: '9999' }),
          txn('U', { amount: '10.00', currency: 'USD' }),
          txn('E', { amount: '10.00', currency: 'EUR' }),
        ],
      },
    ]);
    await f.run('2025-03-01');
    const rates = await query(
      `SELECT currency, krw_per_unit FROM read_csv('pipeline/seeds/fx_rates.csv', all_varchar=true)
       WHERE rate_date = '2025-03-01' AND currency IN ('USD', 'EUR')`,
    );
    const krwPer = Object.fromEntries(rates.map((row) => [row['currency'], Number(row['krw_per_unit'])]));
    const silver = Object.fromEntries((await readSilver(f.lake)).map((row) => [row['transaction_id'], row]));
    expect(silver['U']).toMatchObject({ fx_rate: '1.00000000', amount_reporting: '10.00' });
    expect(Number(silver['K']!['amount_reporting'])).toBeCloseTo(14000 / krwPer['USD']!, 2);
    expect(Number(silver['E']!['fx_rate'])).toBeCloseTo(krwPer['EUR']! / krwPer['USD']!, 7);
    expect(silver['K']!['merchant_category']).toBe('other');
  });

  it("reads the original project's daily CSV end to end", async () => {
    const f = await createSilverFixture();
    const csv = [
      'transaction_id,customer_id,card_id,merchant_id,txn_ts,amount,currency,mcc,status,is_refund,channel',
      'T100,C1,K1,M1,2025-03-01 09:00:00,15000,KRW,5812,approved,false,pos',
      'T101,C2,K2,M2,2025-03-01 23:30:00,8000.5,KRW,5411,declined,true,online',
      'T102,C3,K3,M3,2025-03-01 10:00:00,100,KRW,5411,approved,false',
      '"T103","C4","K4","M4","2025-03-01 11:00:00","2,000",KRW,5411,approved,0,mobile',
      'T100,C1,K1,M1,2025-03-01 09:00:00,15000.00,KRW,5812,APPROVED,f,POS',
    ].join('\n');
    await writeBronze(f.lake, '2025-03-01', [{ name: 'transactions_2025-03-01.csv', text: `${csv}\n` }]);
    const { ledger } = await f.run('2025-03-01');
    expect(ledger).toMatchObject({ bronze_rows: 5, inserted: 2, duplicates: 1, quarantined: 2 });
    expect(ledger.quarantined_by_reason).toEqual({ malformed_record: 1, invalid_amount: 1 });
    const silver = await readSilver(f.lake);
    expect(
      silver.map((row) => [row['transaction_id'], row['event_date'], row['amount'], row['source_line']]),
    ).toEqual([
      ['T100', '2025-03-01', '15000.00', '6'],
      ['T101', '2025-03-01', '8000.50', '3'],
    ]);
    expect(silver[1]!['txn_ts']).toBe('2025-03-01 14:30:00');
  });
});
