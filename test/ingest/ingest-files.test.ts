import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/core/dates.ts';
import { ImmutablePartitionError } from '../../src/core/errors.ts';
import { ingestFiles } from '../../src/ingest/ingest-files.ts';
import { LakeLayout } from '../../src/lake/lake-layout.ts';
import type { BronzeManifest } from '../../src/lake/manifest.ts';
import { readJson, tempDir } from '../helpers/lake-files.ts';
import { runCli } from '../helpers/run-cli.ts';

/** The original project's daily file shape: exactly the required columns, local timestamps, KRW. */
const ORIGINAL_CSV = [
  'transaction_id,customer_id,card_id,merchant_id,txn_ts,amount,currency,mcc,status,is_refund,channel',
  'tx-0001,cust-01,card-01,m-01,2025-03-01 09:15:00,15000,KRW,5411,approved,false,pos',
  'tx-0002,cust-02,card-02,m-02,2025-03-01 12:40:10,"8,500",KRW,5812,declined,False,mobile',
  'tx-0003,cust-01,card-01,m-01,2025-03-01 18:02:59,15000,KRW,5411,approved,true,online',
  '',
].join('\n');

function jsonLine(id: string): string {
  return JSON.stringify({
    transaction_id: id,
    customer_id: 'C1',
    card_id: 'K1',
    merchant_id: 'M1',
    txn_ts: '2025-03-02T10:00:00+09:00',
    amount: '1200.00',
    currency: 'KRW',
    mcc: '5411',
    status: 'approved',
    is_refund: false,
    channel: 'pos',
  });
}

describe('ingest', () => {
  it('copies an original-format CSV byte for byte into the partition of the date in its name', async () => {
    const dir = tempDir();
    const file = join(dir, 'transactions_2025-03-01.csv');
    writeFileSync(file, ORIGINAL_CSV);
    const layout = new LakeLayout(join(dir, 'lake'));
    const [partition] = await ingestFiles({ layout, files: [file] });
    expect(partition).toMatchObject({ ingest_date: '2025-03-01', result: 'written', rows: 3 });
    const target = layout.bronzePartition('transactions', '2025-03-01' as IsoDate);
    expect(readFileSync(join(target, 'part-00000.csv'), 'utf8')).toBe(ORIGINAL_CSV);
    const manifest = readJson<BronzeManifest>(join(target, '_manifest.json'));
    expect(manifest.rows).toBe(3);
    expect(manifest.files).toEqual([expect.objectContaining({ name: 'part-00000.csv', rows: 3 })]);
    expect(manifest.source).toEqual({
      kind: 'ingest',
      files: [{ original: file, stored: 'part-00000.csv', format: 'csv' }],
    });

    const [again] = await ingestFiles({ layout, files: [file] });
    expect(again!.result).toBe('unchanged');
    writeFileSync(file, ORIGINAL_CSV.replace('15000', '16000'));
    await expect(ingestFiles({ layout, files: [file] })).rejects.toThrow(ImmutablePartitionError);
  });

  it('keeps gzip JSON Lines compressed, counts records, and numbers several files of one date', async () => {
    const dir = tempDir();
    const gz = join(dir, 'feed-a.jsonl.gz');
    const plain = join(dir, 'feed-b.ndjson');
    const gzBytes = gzipSync(`${jsonLine('a1')}\n{broken\n\n${jsonLine('a2')}\n`);
    writeFileSync(gz, gzBytes);
    writeFileSync(plain, `${jsonLine('b1')}\n`);
    const layout = new LakeLayout(join(dir, 'lake'));
    const [partition] = await ingestFiles({
      layout,
      files: [gz, plain],
      ingestDate: '2025-03-02' as IsoDate,
    });
    expect(partition!.files.map((file) => [file.stored, file.rows])).toEqual([
      ['part-00000.jsonl.gz', 3],
      ['part-00001.jsonl', 1],
    ]);
    const target = layout.bronzePartition('transactions', '2025-03-02' as IsoDate);
    expect(readFileSync(join(target, 'part-00000.jsonl.gz')).equals(gzBytes)).toBe(true);
    expect(readJson<BronzeManifest>(join(target, '_manifest.json')).rows).toBe(4);
  });
});

describe('ingest CLI refusals (exit 2, nothing written)', () => {
  it('names the missing CSV columns', async () => {
    const dir = tempDir();
    const file = join(dir, 'transactions_2025-03-01.csv');
    writeFileSync(file, 'transaction_id,customer_id,amount\n1,2,3\n');
    const result = await runCli(['--home', join(dir, 'home'), 'ingest', file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /lacks required column\(s\) in its header: card_id, merchant_id, txn_ts, currency, mcc, status, is_refund, channel/,
    );
  });

  it('checks the first parseable JSON line, and refuses a file without a date', async () => {
    const dir = tempDir();
    const file = join(dir, 'feed_2025-03-03.jsonl');
    writeFileSync(file, `not json\n${JSON.stringify({ transaction_id: 'x', amount: '1.00' })}\n`);
    const undated = join(dir, 'feed.jsonl');
    writeFileSync(undated, `${jsonLine('u1')}\n`);
    const [missing, noDate, badFormat] = await Promise.all([
      runCli(['--home', join(dir, 'home'), 'ingest', file]),
      runCli(['--home', join(dir, 'home'), 'ingest', undated]),
      runCli(['--home', join(dir, 'home'), 'ingest', '--format', 'xml', undated]),
    ]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/first JSON record: customer_id, card_id/);
    expect(noDate.status).toBe(2);
    expect(noDate.stderr).toMatch(/no YYYY-MM-DD date in its name.*--ingest-date/);
    expect(badFormat.status).toBe(2);
    expect(badFormat.stderr).toMatch(/--format.*must be one of csv, jsonl/);
  });
});

describe('ingest refusals of unreadable or ambiguous files, and of homes that are files (exit 2)', () => {
  it('names a truncated gzip file and writes nothing', async () => {
    const dir = tempDir();
    const file = join(dir, 'feed_2025-03-04.jsonl.gz');
    const gz = gzipSync(Array.from({ length: 2000 }, (_, i) => jsonLine(`t${i}`)).join('\n'));
    writeFileSync(file, gz.subarray(0, gz.length >> 1));
    const home = join(dir, 'home');
    const result = await runCli(['--home', home, 'ingest', file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `fintech-etl: input file '${file}' is a truncated or corrupt gzip file (unexpected end of file)\n`,
    );
    expect(existsSync(join(home, 'lake', 'bronze'))).toBe(false);
  });

  it('refuses a CSV header that names a column twice', async () => {
    const dir = tempDir();
    const file = join(dir, 'transactions_2025-03-01.csv');
    writeFileSync(file, ORIGINAL_CSV.replace('channel\n', 'channel,Amount\n'));
    const result = await runCli(['--home', join(dir, 'home'), 'ingest', file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/names column\(s\) twice in its header: amount\n$/);
  });

  it('says in one sentence that a home or lake path is a file', async () => {
    const dir = tempDir();
    const file = join(dir, 'transactions_2025-03-01.csv');
    writeFileSync(file, ORIGINAL_CSV);
    const notAFolder = join(dir, 'plain-file');
    writeFileSync(notAFolder, 'x');
    const lakeHome = join(dir, 'lake-home');
    mkdirSync(lakeHome);
    writeFileSync(join(lakeHome, 'fintech-etl.yaml'), `lake: ${notAFolder}/lake\n`);
    const [home, below, lake] = await Promise.all([
      runCli(['--home', notAFolder, 'ingest', file]),
      runCli(['--home', join(notAFolder, 'home'), 'ingest', file]),
      runCli(['--home', lakeHome, 'ingest', file]),
    ]);
    expect([home.status, below.status, lake.status]).toEqual([2, 2, 2]);
    expect(home.stderr).toBe(
      `fintech-etl: home (--home or FINTECH_ETL_HOME) '${notAFolder}' is a file, not a folder\n`,
    );
    expect(below.stderr).toBe(
      `fintech-etl: home (--home or FINTECH_ETL_HOME) '${join(notAFolder, 'home')}' cannot be a folder: '${notAFolder}' is a file\n`,
    );
    expect(lake.stderr).toBe(
      `fintech-etl: config key 'lake' '${notAFolder}/lake' cannot be a folder: '${notAFolder}' is a file\n`,
    );
  });
});
