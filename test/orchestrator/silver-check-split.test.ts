/**
 * Issue 26's split of silver: with `silver.check_jobs: 3` the daily DAG checks a day's bronze as three tasks,
 * staged in the lake, and `silver` commits the day from them. A day of fewer than three files is split into
 * interleaved chunks of its records; a day of three files or more into whole files per task. In process on
 * DuckDB, against the same days with one silver task: two generated days (one file each: duplicates, updates,
 * late and bad records), a day of two ingested files (a CSV whose quoted fields span lines, with blank and
 * malformed lines, and JSON Lines updating earlier transactions) and a day of five ingested files (CSV and JSON
 * Lines updating each other's and earlier days' transactions, duplicates across files, late and bad records) give
 * the same silver, ledger, quarantine, warehouse and gold; each task of the five-file day reads only its own
 * files; the tasks add up to the ledger; the commit refuses an incomplete set of chunks; vacuum deletes the staged
 * objects.
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

const DAYS = ['2025-03-01', '2025-03-02', '2025-03-03', '2025-03-04'] as IsoDate[];
const SETTINGS = testSettings({ rowsPerDay: 600, customers: 150, merchants: 40, entityChangeRate: 0.05 });
const HEADER =
  'transaction_id,customer_id,card_id,merchant_id,txn_ts,amount,currency,mcc,status,is_refund,channel,merchant_name';

const jsonRecord = (id: string, amount: string, status: string, txnTs = '2025-03-01T08:30:00+09:00') =>
  JSON.stringify({
    transaction_id: id,
    customer_id: 'C9',
    card_id: 'K9',
    merchant_id: 'M9',
    txn_ts: txnTs,
    amount,
    currency: 'KRW',
    mcc: '5812',
    status,
    is_refund: false,
    channel: 'online',
  });

const textLines = (...lines: string[]) => `${lines.join('\n')}\n`;

/** Writes `files` (name suffix → content) and ingests them, in that order, as one bronze partition. */
async function ingestTexts(harness: PipelineHarness, day: IsoDate, files: [string, string][]): Promise<void> {
  const folder = join(tmpdir(), `split-${process.pid}-${Date.now()}`);
  const paths = files.map(([suffix]) => `${folder}-${suffix.replace('.', `_${day}.`)}`);
  for (const [position, [, text]] of files.entries()) await writeFile(paths[position]!, text);
  await ingestFiles({ lake: harness.lake, files: paths });
}

/** Records per file of day 4 (bronze part-00000 … part-00004; the first and third are CSV). */
const DAY_FOUR_RECORDS = [6, 2, 5, 3, 4];
const dayFourFile = (part: number) =>
  `bronze/transactions/ingest_date=${DAYS[3]}/part-0000${part}.${part === 0 || part === 2 ? 'csv' : 'jsonl'}`;

/**
 * Day 4: five files of 6, 2, 5, 3 and 4 records, so three tasks take whole files (6 | 2 + 5 | 3 + 4): CSV and
 * JSON Lines; a record updated by a later file of the day, and records of days 1 and 3 updated; an exact
 * duplicate across files and one within a file; a late record; bad amount, currency, JSON and missing fields.
 */
async function ingestDayFour(harness: PipelineHarness): Promise<void> {
  const day = DAYS[3]!;
  const row = (
    id: string,
    amount: string,
    rest = 'KRW,5411,approved,false,pos,shop',
    ts = `${day} 09:00:00`,
  ) => `${id},C4,K4,M4,${ts},${amount},${rest}`;
  const at = (time: string) => `${day}T${time}+09:00`;
  await ingestTexts(harness, day, [
    [
      'a.csv',
      textLines(
        HEADER,
        row('Y1', '1000', 'KRW,5812,approved,false,pos,"two'),
        'lines"',
        row('Y2', '2000'),
        row('Y3', '3000'),
        row('X2', '9000', 'KRW,5411,approved,false,pos,"one line"', `${DAYS[2]} 10:00:00`),
        row('Y4', 'abc'),
        '',
        row('Y5', '500', undefined, `${DAYS[1]} 23:00:00`),
      ),
    ],
    ['b.jsonl', textLines(jsonRecord('Y1', '1100.00', 'approved', at('09:00:00')), 'not json')],
    [
      'c.csv',
      textLines(
        HEADER,
        row('Y6', '60'),
        row('Y7', '70'),
        row('Y2', '2000'),
        row('Y8', '80', 'XXX,5411,approved,false,pos,shop'),
        row('Y9', '90'),
      ),
    ],
    [
      'd.jsonl',
      textLines(
        jsonRecord('T20250301-00000002', '1000.50', 'approved'),
        jsonRecord('Y10', '10.00', 'declined', at('10:00:00')),
        jsonRecord('Y10', '10.00', 'declined', at('10:00:00')),
      ),
    ],
    [
      'e.jsonl',
      textLines(
        jsonRecord('Y11', '11.00', 'approved', at('11:00:00')),
        jsonRecord('Y12', '12.00', 'reversed', at('12:00:00')),
        jsonRecord('Y3', '3300.00', 'approved', at('09:00:00')),
        '{"transaction_id": "Y13"}',
      ),
    ],
  ]);
}

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
  const record = (id: string, amount: string, status: string) => jsonRecord(id, amount, status);
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
      await ingestDayFour(harness);
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
        // Days 3 and 4's hand-written merchants are in no snapshot: their quality gate holds them, an operator
        // accepts them.
        const options = day >= DAYS[2]! ? { acceptQualityFailures: true } : {};
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
        if (day === DAYS[3]) {
          // Whole files, balanced by records (6 | 2 + 5 | 3 + 4): each task read its own files and no other.
          expect(checks.map((check) => check.split)).toEqual(['files', 'files', 'files']);
          expect(checks.map((check) => check.parsed)).toEqual(
            [[0], [1, 2], [3, 4]].map((parts) =>
              Object.fromEntries(parts.map((part) => [dayFourFile(part), DAY_FOUR_RECORDS[part]])),
            ),
          );
          expect(ledger.bronze_rows).toBe(20);
        } else {
          // Fewer files than tasks: every task read a chunk of every file.
          expect(checks.map((check) => check.split)).toEqual(['records', 'records', 'records']);
          const files = Object.keys(checks[0]!.parsed).sort();
          expect(files.length).toBe(day === DAYS[2] ? 2 : 1);
          for (const check of checks) expect(Object.keys(check.parsed).sort()).toEqual(files);
        }
      }
      const expected = await readPipelineState(whole.lake, whole.warehouse);
      const actual = await readPipelineState(split.lake, split.warehouse);
      expect(actual.silver).toBe(expected.silver);
      expect(actual.ledger).toEqual(expected.ledger);
      expect(actual.ledger.find((entry) => entry.ingest_date === DAYS[2])).toMatchObject({
        superseded: 3,
        duplicates: 2,
      });
      expect(actual.ledger.find((entry) => entry.ingest_date === DAYS[3])).toMatchObject({
        bronze_rows: 20,
        inserted: 10,
        superseded: 4,
        duplicates: 2,
        quarantined: 4,
      });
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
