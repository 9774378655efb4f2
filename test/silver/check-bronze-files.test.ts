/**
 * Silver check jobs over whole files (check-share.ts): a day of four bronze files checked as four jobs on an S3
 * lake. Each job downloads and reads only its own file (the one of a blank file stages an empty result), the
 * commit downloads no bronze at all, and silver, ledger and quarantine equal an unsplit run of the same day. The
 * commit refuses results that are not each job's exact share or whose records fall short of the manifest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/core/dates.ts';
import { QUARANTINE_TABLE } from '../../src/lake/lake-layout.ts';
import { type CheckedChunk, checkBronzeChunk } from '../../src/silver/check-bronze-chunk.ts';
import { runSilver } from '../../src/silver/run-silver.ts';
import { sharedS3Server, stopSharedS3Server } from '../helpers/test-lake.ts';
import {
  type BronzeFileSpec,
  committedParquet,
  createSilverFixture,
  query,
  type SilverFixture,
  silverContentHash,
  TEST_KEY,
  txn,
  writeBronze,
} from './silver-fixture.ts';

afterAll(stopSharedS3Server);

const DAY = '2025-03-01' as IsoDate;
const HEADER =
  'transaction_id,customer_id,card_id,merchant_id,txn_ts,amount,currency,mcc,status,is_refund,channel,merchant_name';
const row = (id: string, amount: string, name = 'shop') =>
  `${id},C1,K1,M1,2025-03-01 09:00:00,${amount},KRW,5411,approved,false,pos,${name}`;

/** 6, 4, 3 and 0 records: over four jobs, one file each, largest first. */
const FILES: BronzeFileSpec[] = [
  {
    name: 'part-00000.csv',
    text: `${[
      HEADER,
      row('A', '100', '"Kimbap ""Heaven""\nbranch"'),
      row('B', '200'),
      row('C', '300'),
      row('D', '-5'),
      row('E', '500'),
      row('F', '600'),
    ].join('\r\n')}\r\n`,
  },
  { name: 'part-00001.jsonl', lines: [txn('A', { amount: '150.00' }), txn('G'), 'junk', txn('G')] },
  { name: 'part-00002.jsonl.gz', gzip: true, lines: [txn('H'), txn('B', { amount: '2.00' }), txn('I')] },
  { name: 'part-00003.jsonl', text: '\n' },
];

const LEDGER_COUNTS = [
  'bronze_rows',
  'inserted',
  'superseded',
  'duplicates',
  'quarantined',
  'quarantined_by_reason',
] as const;

async function quarantine(f: SilverFixture): Promise<Record<string, unknown>[]> {
  return query(
    `SELECT source_file, line, reason_codes FROM ${await committedParquet(f.lake, QUARANTINE_TABLE)} ORDER BY ALL`,
  );
}

describe('silver check jobs over whole files (S3 lake)', () => {
  let split: SilverFixture;
  let whole: SilverFixture;
  let checked: CheckedChunk[];
  /** Per job, the bronze files it downloaded (their names). */
  const downloaded: string[][] = [];
  const bronzeKey = (name: string) => `bronze/transactions/ingest_date=${DAY}/${name}`;

  const bronzeDownloads = async (work: () => Promise<unknown>): Promise<string[]> => {
    const { requests } = await sharedS3Server();
    const before = requests.length;
    await work();
    return requests
      .slice(before)
      .filter((request) => request.method === 'GET')
      .map((request) => decodeURIComponent(request.path))
      .filter((path) => path.includes(`/bronze/transactions/ingest_date=${DAY}/part-`))
      .map((path) => path.slice(path.lastIndexOf('/') + 1))
      .sort();
  };

  beforeAll(async () => {
    split = await createSilverFixture({ store: 's3' });
    whole = await createSilverFixture();
    await writeBronze(split.lake, DAY, FILES);
    await writeBronze(whole.lake, DAY, FILES);
    checked = [];
    for (let index = 0; index < 4; index++) {
      downloaded.push(
        await bronzeDownloads(async () => {
          checked.push(
            await checkBronzeChunk({
              config: split.config,
              lake: split.lake,
              ingestDate: DAY,
              runId: 'run-split',
              chunk: { index, of: 4 },
              tokenizationKey: TEST_KEY,
            }),
          );
        }),
      );
    }
  }, 120_000);

  it('gives each job one whole file, which it alone downloads and reads', () => {
    expect(checked.map((each) => each.split)).toEqual(['files', 'files', 'files', 'files']);
    expect(checked.map((each) => each.parsed)).toEqual([
      { [bronzeKey('part-00000.csv')]: 6 },
      { [bronzeKey('part-00001.jsonl')]: 4 },
      { [bronzeKey('part-00002.jsonl.gz')]: 3 },
      { [bronzeKey('part-00003.jsonl')]: 0 },
    ]);
    expect(downloaded).toEqual([
      ['part-00000.csv'],
      ['part-00001.jsonl'],
      ['part-00002.jsonl.gz'],
      ['part-00003.jsonl'],
    ]);
    expect(checked.map((each) => [each.validRows, each.quarantinedRows])).toEqual([
      [5, 1],
      [3, 1],
      [3, 0],
      [0, 0],
    ]);
  });

  it('refuses results that are not each job its exact share, or fall short of the manifest', async () => {
    const commit = (results: CheckedChunk[]) =>
      runSilver({
        config: split.config,
        lake: split.lake,
        ingestDate: DAY,
        runId: 'run-refused',
        tokenizationKey: TEST_KEY,
        checked: results,
      });
    const [first, second, third, fourth] = checked as [
      CheckedChunk,
      CheckedChunk,
      CheckedChunk,
      CheckedChunk,
    ];
    await expect(commit([first, { ...second, parsed: third.parsed }, third, fourth])).rejects.toThrow(
      `silver check result 2/4 read bronze files [${bronzeKey('part-00002.jsonl.gz')}] where its share is [${bronzeKey('part-00001.jsonl')}]`,
    );
    await expect(commit([first, second, third, { ...fourth, split: 'records' }])).rejects.toThrow(
      'silver check result 4/4 took interleaved records where 4 bronze files over 4 jobs call for whole files',
    );
    await expect(
      commit([first, { ...second, parsed: { [bronzeKey('part-00001.jsonl')]: 3 } }, third, fourth]),
    ).rejects.toThrow(
      `bronze file ${bronzeKey('part-00001.jsonl')} yields 3 records where its manifest counted 4`,
    );
  });

  it('commits from the jobs without downloading bronze, equal to one unsplit run', async () => {
    let committed: Awaited<ReturnType<typeof runSilver>> | undefined;
    const commitDownloads = await bronzeDownloads(async () => {
      committed = await runSilver({
        config: split.config,
        lake: split.lake,
        ingestDate: DAY,
        runId: 'run-split',
        tokenizationKey: TEST_KEY,
        checked,
      });
    });
    expect(commitDownloads).toEqual([]);
    const expected = await whole.run(DAY);
    const pick = (ledger: Record<string, unknown>) =>
      Object.fromEntries(LEDGER_COUNTS.map((name) => [name, ledger[name]]));
    expect(pick({ ...committed!.ledger })).toEqual(pick({ ...expected.ledger }));
    expect(expected.ledger).toMatchObject({ bronze_rows: 13, quarantined: 2 });
    expect(await silverContentHash(split.lake)).toBe(await silverContentHash(whole.lake));
    expect(await quarantine(split)).toEqual(await quarantine(whole));
  });
});
