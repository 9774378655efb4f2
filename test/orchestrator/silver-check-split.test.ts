/**
 * Issue 26's split of silver: with `silver.check_jobs: 3` the daily DAG checks a day's bronze as three tasks over
 * interleaved chunks of its records, staged in the lake, and `silver` commits the day from them. In process on
 * DuckDB, against the same days with one silver task: two generated days (duplicates, updates, late and bad
 * records) and a day of two ingested files (a CSV whose quoted fields span lines, with blank and malformed lines,
 * and JSON Lines updating earlier transactions) give the same silver, ledger, quarantine, warehouse and gold; the
 * chunks add up to the ledger; the commit refuses an incomplete set of chunks; vacuum deletes the staged objects.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SilverCheckOutput } from '../../pipeline/dag/silver-check-task.ts';
import type { IsoDate } from '../../src/core/dates.ts';
import { generateBronze } from '../../src/generate/generate-bronze.ts';
import { ingestFiles } from '../../src/ingest/ingest-files.ts';
import { SILVER_CHECKS_PREFIX } from '../../src/lake/lake-layout.ts';
import { listAll } from '../../src/lake/object-store.ts';
import { vacuumLake } from '../../src/lake/vacuum-lake.ts';
import { runSilver } from '../../src/silver/run-silver.ts';
import { testSettings } from '../helpers/lake-files.ts';
import {
  createPipelineHarness,
  END_TO_END_SETUP_MS,
  expectRunOk,
  type PipelineHarness,
} from '../helpers/pipeline-harness.ts';
import { silverContentHash } from '../silver/silver-fixture.ts';
import { readPipelineState } from './helpers/pipeline-state.ts';

const DAYS = ['2025-03-01', '2025-03-02', '2025-03-03'] as IsoDate[];
const SETTINGS = testSettings({ rowsPerDay: 600, customers: 150, merchants: 40, entityChangeRate: 0.05 });
const HEADER =
  'transaction_id,customer_id,card_id,merchant_id,txn_ts,amount,currency,mcc,status,is_refund,channel,merchant_name';

/** Day 3: a CSV with records spanning lines, blank and malformed lines; JSON Lines updating day-1 transactions. */
async function ingestDayThree(harness: PipelineHarness): Promise<void> {
  const csv = [
    HEADER,
    'X1,C1,K1,M1,2025-03-03 09:00:00,15000,KRW,5812,approved,false,pos,"Kimbap ""Heaven""',
    'Gangnam branch"',
    'X2,C2,K2,M2,2025-03-03 10:00:00,8000,KRW,5411,approved,false,pos,"one line"',
    'X3,C3,K3,M3,2025-03-02 11:00:00,100,KRW,5411,approved,false,pos,"three',
    '',
    'lines"',
    'X4,C4,K4,M4,2025-03-03 12:00:00,100,KRW,5411,approved,false,pos',
    '   ',
    'X5,C5,K5,M5,2025-03-03 13:00:00,200,KRW,5411,approved,false,pos,plain',
    'X2,C2,K2,M2,2025-03-03 10:00:00,8000,KRW,5411,approved,false,pos,"one line"',
    'X6,C6,K6,M6,2025-03-03 14:00:00,-5,KRW,5411,approved,false,pos,negative',
  ].join('\r\n');
  const record = (id: string, amount: string, status: string) =>
    JSON.stringify({
      transaction_id: id,
      customer_id: 'C9',
      card_id: 'K9',
      merchant_id: 'M9',
      txn_ts: '2025-03-01T08:30:00+09:00',
      amount,
      currency: 'KRW',
      mcc: '5812',
      status,
      is_refund: false,
      channel: 'online',
    });
  const jsonl = [
    record('T20250301-00000001', '12345.00', 'reversed'),
    record('T20250301-00000002', '999.50', 'approved'),
    record('T20250301-00000001', '12345.00', 'reversed'),
    '{"transaction_id": "broken',
    record('T20250301-00000003', '10.00', 'declined'),
  ].join('\n');
  const folder = join(tmpdir(), `split-${process.pid}-${Date.now()}`);
  const files = [join(`${folder}-a_${DAYS[2]}.csv`), join(`${folder}-b_${DAYS[2]}.jsonl`)];
  await writeFile(files[0]!, `${csv}\r\n`);
  await writeFile(files[1]!, `${jsonl}\n`);
  await ingestFiles({ lake: harness.lake, files });
}

describe('silver checked as three tasks, then committed', () => {
  let whole: PipelineHarness;
  let split: PipelineHarness;

  beforeAll(async () => {
    whole = await createPipelineHarness();
    split = await createPipelineHarness({ configYaml: 'silver:\n  check_jobs: 3' });
    for (const harness of [whole, split]) {
      await generateBronze({ lake: harness.lake, settings: SETTINGS, from: DAYS[0]!, to: DAYS[1]! });
      await ingestDayThree(harness);
    }
  }, END_TO_END_SETUP_MS);

  afterAll(async () => {
    await whole?.close();
    await split?.close();
  });

  it(
    'gives the same silver, ledger, warehouse and gold as one silver task, the chunks adding up to the ledger',
    async () => {
      for (const day of DAYS) {
        // Day 3's hand-written merchants are in no snapshot: its quality gate holds it, an operator accepts it.
        const options = day === DAYS[2] ? { acceptQualityFailures: true } : {};
        expectRunOk(await whole.run(day, options));
        const result = await split.run(day, options);
        expectRunOk(result);
        expect(result.dag.tasks.map((task) => [task.task, task.state])).toEqual(
          [
            'silver_check_1',
            'silver_check_2',
            'silver_check_3',
            'silver',
            'quality',
            'load',
            'models',
            'tests',
            'gold',
          ].map((task) => [task, 'success']),
        );
        const checks = result.dag.tasks
          .filter((task) => task.task.startsWith('silver_check_'))
          .map((task) => task.output as unknown as SilverCheckOutput);
        const ledger = result.silver!.ledger;
        expect(checks.map((check) => check.chunk)).toEqual([0, 1, 2].map((index) => ({ index, of: 3 })));
        expect(checks.reduce((sum, check) => sum + check.validRows, 0)).toBe(
          ledger.inserted + ledger.superseded + ledger.duplicates,
        );
        expect(checks.reduce((sum, check) => sum + check.quarantinedRows, 0)).toBe(ledger.quarantined);
        // Every chunk had records of its own: the split really divided the day.
        for (const check of checks) expect(check.validRows).toBeGreaterThan(0);
      }
      const expected = await readPipelineState(whole.lake, whole.warehouse);
      const actual = await readPipelineState(split.lake, split.warehouse);
      expect(actual.silver).toBe(expected.silver);
      expect(actual.ledger).toEqual(expected.ledger);
      expect(actual.ledger.at(-1)).toMatchObject({ ingest_date: DAYS[2], superseded: 3, duplicates: 2 });
      for (const relation of Object.keys(expected.warehouse)) {
        expect(actual.warehouse[relation], relation).toEqual(expected.warehouse[relation]);
      }
      expect(actual.gold).toEqual(expected.gold);
    },
    END_TO_END_SETUP_MS,
  );

  it('refuses to commit from an incomplete set of chunks, and vacuum deletes the staged objects', async () => {
    const run = (await split.state.listRuns({ logicalDate: DAYS[0] }))[0]!;
    const checks = (await split.state.taskInstances(run.runId))
      .filter((instance) => instance.task.startsWith('silver_check_'))
      .map((instance) => instance.output as unknown as SilverCheckOutput);
    const partial = runSilver({
      config: split.config,
      lake: split.lake,
      ingestDate: DAYS[0]!,
      runId: 'run-partial',
      checked: checks.slice(0, 2),
    });
    await expect(partial).rejects.toThrow('silver check results are not every chunk once (chunks 1/3, 2/3)');

    const staged = async () => {
      const keys: string[] = [];
      for await (const object of listAll(split.lake.store, SILVER_CHECKS_PREFIX)) keys.push(object.key);
      return keys;
    };
    expect(await staged()).toHaveLength(DAYS.length * 3 * 2);
    const silver = await silverContentHash(split.lake);
    const results = await vacuumLake(split.lake, { retentionHours: 0, now: () => Date.now() + 60_000 });
    expect(results.find((result) => result.table === 'silver/_checks')?.deleted).toHaveLength(
      DAYS.length * 3 * 2,
    );
    expect(await staged()).toEqual([]);
    expect(await silverContentHash(split.lake)).toBe(silver);
  });
});
