import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/core/dates.ts';
import { ImmutablePartitionError } from '../../src/core/errors.ts';
import { ingestFiles } from '../../src/ingest/ingest-files.ts';
import { readBronzePartition } from '../../src/lake/bronze-partition.ts';
import type { BronzeManifest } from '../../src/lake/manifest.ts';
import { S3ObjectStore } from '../../src/lake/s3/s3-object-store.ts';
import { bronzeDir, localLake, readJson, tempDir } from '../helpers/lake-files.ts';
import { runCli } from '../helpers/run-cli.ts';
import { createTestLake, S3_TEST_ENV, sharedS3Server, stopSharedS3Server } from '../helpers/test-lake.ts';

afterAll(stopSharedS3Server);

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
    const lake = localLake(join(dir, 'lake'));
    const [partition] = await ingestFiles({ lake, files: [file] });
    expect(partition).toMatchObject({ ingest_date: '2025-03-01', result: 'written', rows: 3 });
    const target = bronzeDir(lake, 'transactions', '2025-03-01' as IsoDate);
    expect(readFileSync(join(target, 'part-00000.csv'), 'utf8')).toBe(ORIGINAL_CSV);
    const manifest = readJson<BronzeManifest>(join(target, '_manifest.json'));
    expect(manifest.rows).toBe(3);
    expect(manifest.files).toEqual([expect.objectContaining({ name: 'part-00000.csv', rows: 3 })]);
    expect(manifest.source).toEqual({
      kind: 'ingest',
      files: [{ original: file, stored: 'part-00000.csv', format: 'csv' }],
    });

    const [again] = await ingestFiles({ lake, files: [file] });
    expect(again!.result).toBe('unchanged');
    writeFileSync(file, ORIGINAL_CSV.replace('15000', '16000'));
    await expect(ingestFiles({ lake, files: [file] })).rejects.toThrow(ImmutablePartitionError);
  });

  it('keeps gzip JSON Lines compressed, counts records, and numbers several files of one date', async () => {
    const dir = tempDir();
    const gz = join(dir, 'feed-a.jsonl.gz');
    const plain = join(dir, 'feed-b.ndjson');
    const gzBytes = gzipSync(`${jsonLine('a1')}\n{broken\n\n${jsonLine('a2')}\n`);
    writeFileSync(gz, gzBytes);
    writeFileSync(plain, `${jsonLine('b1')}\n`);
    const lake = localLake(join(dir, 'lake'));
    const [partition] = await ingestFiles({
      lake,
      files: [gz, plain],
      ingestDate: '2025-03-02' as IsoDate,
    });
    expect(partition!.files.map((file) => [file.stored, file.rows])).toEqual([
      ['part-00000.jsonl.gz', 3],
      ['part-00001.jsonl', 1],
    ]);
    const target = bronzeDir(lake, 'transactions', '2025-03-02' as IsoDate);
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

describe('ingest into an S3 lake', () => {
  it('copies local files into the bucket, every put encrypted; the same files again are a no-op', async () => {
    const dir = tempDir();
    const file = join(dir, 'transactions_2025-03-01.csv');
    writeFileSync(file, ORIGINAL_CSV);
    const { lake, server } = await createTestLake('s3', join(dir, 'home'));
    const before = server!.requests.length;
    const [partition] = await ingestFiles({ lake, files: [file] });
    expect(partition).toMatchObject({ ingest_date: '2025-03-01', result: 'written', rows: 3 });
    const committed = await readBronzePartition(lake, 'transactions', '2025-03-01' as IsoDate);
    expect(committed!.files.map((object) => object.name)).toEqual(['part-00000.csv']);
    expect((await lake.store.get(committed!.files[0]!.key)).toString('utf8')).toBe(ORIGINAL_CSV);
    expect(committed!.manifest.source).toEqual({
      kind: 'ingest',
      files: [{ original: file, stored: 'part-00000.csv', format: 'csv' }],
    });
    const puts = server!.requests.slice(before).filter((request) => request.method === 'PUT');
    expect(puts.map((request) => decodeURIComponent(request.path))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/\/bronze\/transactions\/ingest_date=2025-03-01\/part-00000\.csv$/),
        expect.stringMatching(/\/bronze\/transactions\/ingest_date=2025-03-01\/_manifest\.json$/),
        expect.stringMatching(/\/bronze\/transactions\/_delta_log\/0{20}\.json$/),
      ]),
    );
    for (const put of puts) expect(put.headers['x-amz-server-side-encryption'], put.path).toBe('AES256');
    const [again] = await ingestFiles({ lake, files: [file] });
    expect(again!.result).toBe('unchanged');
    await lake.close();
  });

  it('ingests objects already in a bucket: one key, or every object under a prefix', async () => {
    const server = await sharedS3Server();
    const landing = new S3ObjectStore({
      client: server.client(),
      bucket: server.bucket,
      prefix: 'landing',
      encryption: { kind: 'AES256' },
    });
    await landing.put('transactions_2025-03-01.csv', ORIGINAL_CSV);
    await landing.put('day2/feed-a_2025-03-02.jsonl', `${jsonLine('a1')}\n`);
    await landing.put('day2/feed-b_2025-03-02.jsonl.gz', gzipSync(`${jsonLine('b1')}\n${jsonLine('b2')}\n`));
    const { lake } = await createTestLake('s3', join(tempDir(), 'home'));
    const openBucket = async (bucket: string) =>
      new S3ObjectStore({ client: server.client(), bucket, prefix: '', encryption: { kind: 'AES256' } });
    const url = (key: string) => `s3://${server.bucket}/landing/${key}`;
    const partitions = await ingestFiles({
      lake,
      files: [url('transactions_2025-03-01.csv'), url('day2/')],
      openBucket,
    });
    expect(
      partitions.map((partition) => [
        partition.ingest_date,
        partition.rows,
        partition.files.map((f) => f.original),
      ]),
    ).toEqual([
      ['2025-03-01', 3, [url('transactions_2025-03-01.csv')]],
      ['2025-03-02', 3, [url('day2/feed-a_2025-03-02.jsonl'), url('day2/feed-b_2025-03-02.jsonl.gz')]],
    ]);
    const day2 = await readBronzePartition(lake, 'transactions', '2025-03-02' as IsoDate);
    expect(day2!.files.map((object) => object.name)).toEqual(['part-00000.jsonl', 'part-00001.jsonl.gz']);
    await expect(
      ingestFiles({ lake, files: [url('transactions_2025-03-09.csv')], openBucket }),
    ).rejects.toThrow(`input file '${url('transactions_2025-03-09.csv')}' does not exist`);
    await lake.close();
  });

  it('fintech-etl ingest s3://… reads the bucket with the config s3 settings and credentials', async () => {
    const server = await sharedS3Server();
    const landing = new S3ObjectStore({
      client: server.client(),
      bucket: server.bucket,
      prefix: 'cli-landing',
      encryption: { kind: 'AES256' },
    });
    await landing.put('transactions_2025-03-04.csv', ORIGINAL_CSV);
    const home = join(tempDir(), 'home');
    const { lake } = await createTestLake('s3', home);
    Object.assign(process.env, S3_TEST_ENV);
    const result = await runCli([
      '--home',
      home,
      '--json',
      'ingest',
      `s3://${server.bucket}/cli-landing/transactions_2025-03-04.csv`,
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      lake: expect.stringMatching(new RegExp(`^s3://${server.bucket}/lake-`)),
      partitions: [{ ingest_date: '2025-03-04', result: 'written', rows: 3 }],
    });
    const committed = await readBronzePartition(lake, 'transactions', '2025-03-04' as IsoDate);
    expect((await lake.store.get(committed!.files[0]!.key)).toString('utf8')).toBe(ORIGINAL_CSV);
    expect(result.stderr).not.toContain(S3_TEST_ENV.FINTECH_TEST_S3_SECRET);
    await lake.close();
  });
});
