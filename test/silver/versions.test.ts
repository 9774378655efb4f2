import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/core/dates.ts';
import { TRANSACTIONS_PREFIX } from '../../src/lake/commit-log/transaction-record.ts';
import { LEDGER_TABLE, silverTable } from '../../src/lake/lake-layout.ts';
import { MAX_PARTITION_FILES } from '../../src/silver/partition-writes.ts';
import { runSilver } from '../../src/silver/run-silver.ts';
import { STORE_KINDS, stopSharedS3Server } from '../helpers/test-lake.ts';
import { CRASH_POINTS, crashAt, InjectedCrash, isCommitted } from './crash-hooks.ts';
import {
  createSilverFixture,
  readSilver,
  type SilverFixture,
  silverContentHash,
  TEST_KEY,
  txn,
  writeBronze,
} from './silver-fixture.ts';

afterAll(stopSharedS3Server);

/** Three ingest days with duplicates, updates (one moving event_date and category), late rows and bad rows. */
async function writeHistory(f: SilverFixture): Promise<void> {
  await writeBronze(f.lake, '2025-03-01', [
    {
      name: 'part-00000.jsonl',
      lines: [txn('A'), txn('B'), txn('C', { mcc: '5812' }), txn('A'), txn('B', { amount: '1.00' }), 'junk'],
    },
    { name: 'part-00001.jsonl', lines: [txn('D'), txn('A')] },
  ]);
  await writeBronze(f.lake, '2025-03-02', [
    {
      name: 'part-00000.jsonl',
      lines: [
        txn('E', { txn_ts: '2025-03-02T10:00:00+09:00' }),
        txn('C', { mcc: '4511', txn_ts: '2025-02-27T10:00:00+09:00' }),
        txn('D'),
        txn('', {}),
      ],
    },
  ]);
  await writeBronze(f.lake, '2025-03-03', [
    {
      name: 'part-00000.jsonl',
      lines: [
        txn('F', { txn_ts: '2025-03-02T10:00:00+09:00' }),
        txn('G', { txn_ts: '2025-03-01T10:00:00+09:00' }),
        txn('H', { txn_ts: '2025-02-21T10:00:00+09:00' }),
        txn('B', { amount: '2.00' }),
        txn('E', { txn_ts: '2025-03-02T10:00:00+09:00' }),
      ],
    },
  ]);
}

const TRANSACTIONS = silverTable('transactions');

/** The committed silver files, relative to the table: `event_date=…/merchant_category=…/<name>`. */
async function silverFiles(f: SilverFixture, partition: Record<string, string> = {}): Promise<string[]> {
  return (await f.lake.snapshot(TRANSACTIONS))
    .files(partition)
    .map((file) => file.key.slice(TRANSACTIONS.length + 1))
    .sort();
}

/** The writers' work folder of the fixture's lake: empty once no run is in progress. */
function scratchRoot(f: SilverFixture): string {
  return f.store === 'local'
    ? join(f.home, 'lake', '.tmp', 'work')
    : join(f.config.lakeSettings.cacheDir, 'work');
}

const day = (date: string, category: string) => ({ event_date: date, merchant_category: category });

describe.each(STORE_KINDS)('silver deduplication, supersede and late data (%s lake)', (store) => {
  it('counts inserted, duplicates and superseded exactly and keeps one row per id, newest arrival winning', async () => {
    const f = await createSilverFixture({ store });
    await writeHistory(f);
    const day1 = (await f.run('2025-03-01')).ledger;
    expect(day1).toMatchObject({ bronze_rows: 8, inserted: 4, duplicates: 2, superseded: 1, quarantined: 1 });
    const day2 = await f.run('2025-03-02');
    expect(day2.ledger).toMatchObject({
      bronze_rows: 4,
      inserted: 1,
      duplicates: 1,
      superseded: 1,
      quarantined: 1,
    });
    expect(day2.ledger.quarantined_by_reason).toEqual({ missing_required: 1 });
    // C moved from 2025-03-01/dining to 2025-02-27/travel: its old partition emptied and disappeared.
    expect(day2.touchedPartitions).toEqual([
      { eventDate: '2025-02-27', merchantCategory: 'travel' },
      { eventDate: '2025-03-01', merchantCategory: 'dining' },
      { eventDate: '2025-03-01', merchantCategory: 'grocery' },
      { eventDate: '2025-03-02', merchantCategory: 'grocery' },
    ]);
    expect(day2.ledger.late_by_days).toEqual({ '3': 1 });
    expect(await silverFiles(f, day('2025-03-01', 'dining'))).toEqual([]);

    const day3 = await f.run('2025-03-03');
    expect(day3.ledger).toMatchObject({
      bronze_rows: 5,
      inserted: 3,
      duplicates: 1,
      superseded: 1,
      quarantined: 0,
    });
    expect(day3.ledger.late_by_days).toEqual({ '1': 1, '2': 2, '10': 1 });
    expect(day3.ledger.late_rows).toBe(4);

    const silver = await readSilver(f.lake);
    expect(
      silver.map((row) => [
        row['transaction_id'],
        row['event_date'],
        row['merchant_category'],
        row['amount'],
      ]),
    ).toEqual([
      ['A', '2025-03-01', 'grocery', '12500.00'],
      ['B', '2025-03-01', 'grocery', '2.00'],
      ['C', '2025-02-27', 'travel', '12500.00'],
      ['D', '2025-03-01', 'grocery', '12500.00'],
      ['E', '2025-03-02', 'grocery', '12500.00'],
      ['F', '2025-03-02', 'grocery', '12500.00'],
      ['G', '2025-03-01', 'grocery', '12500.00'],
      ['H', '2025-02-21', 'grocery', '12500.00'],
    ]);
    // Newest arrival wins, also for an exact duplicate (its position is newer).
    expect(silver.find((row) => row['transaction_id'] === 'A')!['source_file']).toMatch(/part-00001\.jsonl$/);
    expect(silver.find((row) => row['transaction_id'] === 'D')!['ingest_date']).toBe('2025-03-02');
    // One base file per partition, each named after the run that wrote it.
    expect(await silverFiles(f)).toEqual([
      expect.stringMatching(
        /^event_date=2025-02-21\/merchant_category=grocery\/data-run-3-[0-9a-f]{8}\.parquet$/,
      ),
      expect.stringMatching(
        /^event_date=2025-02-27\/merchant_category=travel\/data-run-2-[0-9a-f]{8}\.parquet$/,
      ),
      expect.stringMatching(
        /^event_date=2025-03-01\/merchant_category=grocery\/data-run-3-[0-9a-f]{8}\.parquet$/,
      ),
      expect.stringMatching(
        /^event_date=2025-03-02\/merchant_category=grocery\/data-run-3-[0-9a-f]{8}\.parquet$/,
      ),
    ]);
  });

  it('fails a run naming a silver file it cannot rewrite, and leaves every partition as it was', async () => {
    const f = await createSilverFixture({ store });
    await writeHistory(f);
    await f.run('2025-03-01');
    // Day 2 moves C out of 2025-03-01/dining, so that partition is rewritten; the file DuckDB reads for it (the
    // object itself, or its cached copy from S3) is now unreadable.
    const [dining] = (await f.lake.snapshot(TRANSACTIONS)).files(day('2025-03-01', 'dining'));
    const broken = await f.lake.localPath(dining!);
    await writeFile(broken, 'not parquet');
    const filesBefore = await silverFiles(f);

    await expect(f.run('2025-03-02')).rejects.toThrow(broken);
    expect(await silverFiles(f)).toEqual(filesBefore);
    // No ledger entry and no work files left: the failed run committed nothing.
    expect((await f.lake.snapshot(LEDGER_TABLE)).files({ ingest_date: '2025-03-02' })).toEqual([]);
    expect(await readdir(scratchRoot(f))).toEqual([]);
  });

  it('writes late rows of 1, 2 and 10 days into their event_date partitions without touching others', async () => {
    const f = await createSilverFixture({ store });
    await writeBronze(f.lake, '2025-03-01', [
      { name: 'part-00000.jsonl', lines: [txn('X1'), txn('X2', { txn_ts: '2025-02-25T10:00:00+09:00' })] },
    ]);
    await writeBronze(f.lake, '2025-03-11', [
      {
        name: 'part-00000.jsonl',
        lines: [
          txn('L1', { txn_ts: '2025-03-10T10:00:00+09:00' }),
          txn('L2', { txn_ts: '2025-03-09T23:59:00+09:00' }),
          txn('L10', { txn_ts: '2025-03-01T08:00:00+09:00' }),
        ],
      },
    ]);
    await f.run('2025-03-01');
    const untouched = await silverFiles(f, day('2025-02-25', 'grocery'));
    const result = await f.run('2025-03-11');
    expect(result.ledger.late_by_days).toEqual({ '1': 1, '2': 1, '10': 1 });
    expect(result.touchedEventDates).toEqual(['2025-03-01', '2025-03-09', '2025-03-10']);
    expect(await silverFiles(f, day('2025-02-25', 'grocery'))).toEqual(untouched);
    const rows = await readSilver(f.lake);
    expect(rows.map((row) => [row['transaction_id'], row['event_date']])).toEqual([
      ['L1', '2025-03-10'],
      ['L10', '2025-03-01'],
      ['L2', '2025-03-09'],
      ['X1', '2025-03-01'],
      ['X2', '2025-02-25'],
    ]);
    // L10 only adds a row to 2025-03-01/grocery: it arrives as one more file, the base file stays as it was.
    expect(await silverFiles(f, day('2025-03-01', 'grocery'))).toEqual([
      expect.stringMatching(/^event_date=2025-03-01\/merchant_category=grocery\/data-run-1-.+\.parquet$/),
      expect.stringMatching(
        /^event_date=2025-03-01\/merchant_category=grocery\/delta-2025-03-11-run-2-.+\.parquet$/,
      ),
    ]);
  });

  it('adds rows for an old day as one file per run, compacts after MAX_PARTITION_FILES, rewrites on supersede', async () => {
    const f = await createSilverFixture({ store });
    const late = (id: string) => txn(id, { txn_ts: '2025-03-01T09:00:00+09:00' });
    await writeBronze(f.lake, '2025-03-01', [{ name: 'part-00000.jsonl', lines: [late('X0')] }]);
    await f.run('2025-03-01');
    const files = async () =>
      (await silverFiles(f, day('2025-03-01', 'grocery'))).map((file) => file.split('/').at(-1)!);
    const [base] = await files();
    for (let n = 2; n <= MAX_PARTITION_FILES; n++) {
      const date = `2025-03-0${n}`;
      await writeBronze(f.lake, date, [{ name: 'part-00000.jsonl', lines: [late(`X${n}`)] }]);
      await f.run(date);
      expect(await files()).toHaveLength(n);
    }
    expect((await files()).filter((name) => name.startsWith('data-'))).toEqual([base]);
    expect((await files()).filter((name) => name.startsWith('delta-'))).toHaveLength(MAX_PARTITION_FILES - 1);

    // The partition is full: the next run that adds to it merges every file into one.
    await writeBronze(f.lake, '2025-03-09', [{ name: 'part-00000.jsonl', lines: [late('X9')] }]);
    await f.run('2025-03-09');
    expect(await files()).toEqual([expect.stringMatching(/^data-run-9-/)]);
    const ids = ['X0', 'X2', 'X3', 'X4', 'X5', 'X6', 'X7', 'X8', 'X9'];
    expect((await readSilver(f.lake)).map((row) => row['transaction_id'])).toEqual(ids);

    // A row added, then superseded: the partition loses a version, so its files are rewritten into one.
    await writeBronze(f.lake, '2025-03-10', [{ name: 'part-00000.jsonl', lines: [late('Y')] }]);
    await f.run('2025-03-10');
    expect(await files()).toHaveLength(2);
    await writeBronze(f.lake, '2025-03-11', [
      {
        name: 'part-00000.jsonl',
        lines: [txn('Y', { txn_ts: '2025-03-01T09:00:00+09:00', amount: '1.00' })],
      },
    ]);
    const { ledger } = await f.run('2025-03-11');
    expect(ledger).toMatchObject({ inserted: 0, superseded: 1 });
    expect(await files()).toEqual([expect.stringMatching(/^data-run-11-/)]);
    const rows = await readSilver(f.lake);
    expect(rows.map((row) => [row['transaction_id'], row['amount']])).toEqual([
      ...ids.map((id) => [id, '12500.00']),
      ['Y', '1.00'],
    ]);
  });

  it('gives identical silver for in-order, out-of-order and repeated runs', async () => {
    const inOrder = await createSilverFixture({ store });
    await writeHistory(inOrder);
    for (const date of ['2025-03-01', '2025-03-02', '2025-03-03']) await inOrder.run(date);
    const expected = await silverContentHash(inOrder.lake);

    const shuffled = await createSilverFixture({ store });
    await writeHistory(shuffled);
    for (const date of ['2025-03-03', '2025-03-01', '2025-03-02', '2025-03-01', '2025-03-03']) {
      const { ledger } = await shuffled.run(date);
      expect(ledger.bronze_rows).toBe(
        ledger.inserted + ledger.superseded + ledger.duplicates + ledger.quarantined,
      );
    }
    expect(await silverContentHash(shuffled.lake)).toBe(expected);

    const rerun = (await inOrder.run('2025-03-02')).ledger;
    // Every row of a rerun is the version already applied (or identical to the newer one that won): duplicates.
    expect(rerun).toMatchObject({
      bronze_rows: 4,
      inserted: 0,
      duplicates: 3,
      superseded: 0,
      quarantined: 1,
    });
    expect(await silverContentHash(inOrder.lake)).toBe(expected);
  });

  for (const point of CRASH_POINTS) {
    it(`recovers from a crash ${point}: readers see the old or the whole new commit, a rerun completes`, async () => {
      const clean = await createSilverFixture({ store });
      await writeHistory(clean);
      for (const date of ['2025-03-01', '2025-03-02']) await clean.run(date);
      const expected = await silverContentHash(clean.lake);

      const f = await createSilverFixture({ store });
      await writeHistory(f);
      await f.run('2025-03-01');
      const beforeCrash = await silverContentHash(f.lake);
      const ledgerBefore = (await f.lake.snapshot(LEDGER_TABLE)).files();
      await expect(
        runSilver({
          config: f.config,
          lake: f.lake,
          ingestDate: '2025-03-02' as IsoDate,
          runId: 'crashing',
          tokenizationKey: TEST_KEY,
          commitHooks: crashAt(point),
        }),
      ).rejects.toThrow(InjectedCrash);
      // Before the commit point nothing is visible; after it, every table shows the run whole (issue 21: no
      // reader sees silver half-applied), whatever its logs hold yet.
      const ledgerAfter = (await f.lake.snapshot(LEDGER_TABLE)).files();
      if (isCommitted(point)) {
        expect(await silverContentHash(f.lake)).toBe(expected);
        expect(ledgerAfter).toHaveLength(ledgerBefore.length + 1);
        expect((await f.lake.store.list(TRANSACTIONS_PREFIX)).objects).toHaveLength(1);
      } else {
        expect(await silverContentHash(f.lake)).toBe(beforeCrash);
        expect(ledgerAfter).toEqual(ledgerBefore);
      }
      const rerun = await f.run('2025-03-02');
      expect(rerun.recoveredRuns).toEqual(isCommitted(point) ? ['crashing'] : []);
      expect(await silverContentHash(f.lake)).toBe(expected);
      expect((await f.lake.store.list(TRANSACTIONS_PREFIX)).objects).toEqual([]);
      expect(existsSync(scratchRoot(f))).toBe(true);
      expect(await readdir(scratchRoot(f))).toEqual([]);
    });
  }
});
