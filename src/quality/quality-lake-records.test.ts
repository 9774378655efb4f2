/**
 * The quality gate's records in the lake, on a local folder and on S3: results and holds are objects under names
 * never reused, published by commits of their tables and read through the committed snapshots. A retried run
 * replaces its own record, the history skips held days, a hold is replaced when released and removed when
 * dropped, and vacuum deletes the superseded records only after the retention period.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestLake, STORE_KINDS, stopSharedS3Server } from '../../test/helpers/test-lake.ts';
import type { IsoDate } from '../core/dates.ts';
import { QUALITY_HOLDS_TABLE, QUALITY_RESULTS_TABLE } from '../lake/lake-layout.ts';
import { listAll } from '../lake/object-store.ts';
import { vacuumLake } from '../lake/vacuum-lake.ts';
import { commitQualityChanges } from './commit-quality-changes.ts';
import { deleteHold, putHold, type QualityHold, readHold, readHolds } from './quality-holds.ts';
import {
  putQualityRecord,
  type QualityRunRecord,
  readQualityHistory,
  readQualityRecords,
} from './quality-results-store.ts';

const D = '2025-03-10' as IsoDate;

function record(
  runId: string,
  ingestDate: IsoDate,
  overrides: Partial<QualityRunRecord> = {},
): QualityRunRecord {
  return {
    runId,
    ingestDate,
    evaluatedAt: `${ingestDate}T06:00:00.000Z`,
    outcome: 'passed',
    accepted: false,
    results: [],
    metrics: { transactions: { row_count: { kind: 'count', value: 100 } } },
    datasets: [],
    batch: { transactionFiles: [], eventDates: [], source: 'written' },
    queries: { scans: 1, samples: 0, total: 3 },
    seconds: 1,
    cpuSeconds: 1,
    ...overrides,
  };
}

const held = (runId: string): QualityHold => ({
  ingest_date: D,
  status: 'held',
  run_id: runId,
  held_at: '2025-03-10T06:00:00.000Z',
  reasons: ['transactions expect_table_row_count_to_be_between() [ingest_date=2025-03-10]: 3 rows'],
});

afterAll(() => stopSharedS3Server());

describe.each(STORE_KINDS)('quality records in the lake (%s)', (store) => {
  const open = async () =>
    (await createTestLake(store, mkdtempSync(join(tmpdir(), 'quality-records-')))).lake;
  const keys = async (lake: Awaited<ReturnType<typeof open>>, prefix: string) => {
    const found: string[] = [];
    for await (const object of listAll(lake.store, prefix)) found.push(object.key);
    return found.filter((key) => !key.includes('/_delta_log/')).sort();
  };

  it('keeps one record per run and date, a retry replacing its own, and judges days by their latest good run', async () => {
    const lake = await open();
    const commit = (runId: string, value: QualityRunRecord) =>
      commitQualityChanges(lake, runId, async () => [await putQualityRecord(lake, value)]);
    await commit('run-1', record('run-1', D, { evaluatedAt: '2025-03-10T06:00:00.000Z' }));
    await commit('run-1', record('run-1', D, { evaluatedAt: '2025-03-10T06:05:00.000Z' }));
    await commit('run-2', record('run-2', D, { evaluatedAt: '2025-03-10T07:00:00.000Z', outcome: 'failed' }));
    await commit('run-0', record('run-0', '2025-03-09' as IsoDate));

    const ofD = await readQualityRecords(lake, D);
    expect(ofD.map((r) => [r.runId, r.evaluatedAt])).toEqual([
      ['run-1', '2025-03-10T06:05:00.000Z'],
      ['run-2', '2025-03-10T07:00:00.000Z'],
    ]);
    expect((await readQualityRecords(lake)).map((r) => r.runId)).toEqual(['run-0', 'run-1', 'run-2']);
    // Three objects of D were written under new names; the retry's first record is no longer live.
    expect(await keys(lake, `${QUALITY_RESULTS_TABLE}/ingest_date=${D}/`)).toHaveLength(3);
    expect((await lake.snapshot(QUALITY_RESULTS_TABLE)).files({ ingest_date: D })).toHaveLength(2);
    // The failed, unaccepted run-2 never becomes the norm: D's history entry is run-1.
    const history = await readQualityHistory(lake, '2025-03-11' as IsoDate, 7);
    expect(history.map((day) => [day.ingestDate, day.runId])).toEqual([
      [D, 'run-1'],
      ['2025-03-09', 'run-0'],
    ]);
    await lake.close();
  });

  it('places, releases and drops a hold by commits, and vacuum deletes the superseded records after the retention', async () => {
    const lake = await open();
    expect(await readHold(lake, D)).toBeUndefined();
    await commitQualityChanges(lake, 'run-1', async () => [await putHold(lake, held('run-1'))]);
    expect(await readHold(lake, D)).toEqual(held('run-1'));
    const released = {
      ...held('run-1'),
      status: 'released' as const,
      released_by_run: 'run-2',
      accepted: true,
    };
    await commitQualityChanges(lake, 'run-2', async () => [await putHold(lake, released)]);
    expect(await readHolds(lake)).toEqual([released]);
    const live = (await lake.snapshot(QUALITY_HOLDS_TABLE)).files().map((file) => file.key);
    expect(live).toEqual([
      expect.stringMatching(/^_quality\/holds\/ingest_date=2025-03-10\/hold-run-1-[0-9a-f]{8}\.json$/),
    ]);
    await deleteHold(lake, D, 'run-2');
    expect(await readHold(lake, D)).toBeUndefined();
    expect(await readHolds(lake)).toEqual([]);
    // Nothing to drop commits nothing.
    const version = (await lake.snapshot(QUALITY_HOLDS_TABLE)).version;
    await deleteHold(lake, D, 'run-3');
    expect((await lake.snapshot(QUALITY_HOLDS_TABLE)).version).toBe(version);

    const both = await keys(lake, `${QUALITY_HOLDS_TABLE}/`);
    expect(both).toHaveLength(2);
    const young = await vacuumLake(lake);
    expect(young.find((result) => result.table === QUALITY_HOLDS_TABLE)?.deleted).toEqual([]);
    const later = await vacuumLake(lake, { now: () => Date.now() + 200 * 3_600_000 });
    expect(later.find((result) => result.table === QUALITY_HOLDS_TABLE)?.deleted.sort()).toEqual(both);
    expect(await keys(lake, `${QUALITY_HOLDS_TABLE}/`)).toEqual([]);
    await lake.close();
  });
});
