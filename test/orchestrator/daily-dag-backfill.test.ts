/**
 * `backfill` and `plan` through the real binary, on DuckDB and PostgreSQL: ten days with one date's bronze
 * missing — 9 dates succeed and `plan` says the tenth is missing (no bronze); once its bronze is ingested `plan`
 * lists it, and `backfill --reprocess failed` completes the range with the marts, gold and silver of a clean
 * in-order run. Then a model's SQL changes: `plan` lists exactly the dates built before the change, naming the
 * model, and a date run after it is up to date.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { addDays, dateRange, type IsoDate } from '../../src/core/dates.ts';
import { generateBronze } from '../../src/generate/generate-bronze.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { openLake } from '../../src/lake/open-lake.ts';
import type { DatePlan } from '../../src/orchestrator/planner/plan-dates.ts';
import { localLake, testSettings } from '../helpers/lake-files.ts';
import {
  createPipelineHarness,
  END_TO_END_SETUP_MS,
  expectRunOk,
  type PipelineHarness,
} from '../helpers/pipeline-harness.ts';
import {
  createTestDatabase,
  postgresSkipReason,
  type TestDatabase,
} from '../helpers/postgres-test-database.ts';
import { copyBronzeDay } from '../quality/faulty-feeds.ts';
import { type CliHome, createCliHome } from './helpers/cli-home.ts';
import { readPipelineState } from './helpers/pipeline-state.ts';

const FIRST = '2025-03-01' as IsoDate;
const DAYS = dateRange(FIRST, addDays(FIRST, 9));
const MISSING = DAYS[4]!;
const AFTER_CHANGE = addDays(FIRST, 10);
const SETTINGS = testSettings({ rowsPerDay: 500, customers: 150, merchants: 40 });
const SHIPPED_PROJECT = new URL('../../pipeline', import.meta.url).pathname;
const postgresSkip = await postgresSkipReason();

for (const engine of ['duckdb', 'postgres'] as const) {
  describe.skipIf(engine === 'postgres' && postgresSkip)(`backfill and plan (${engine})`, () => {
    let source: Lake;
    let reference: PipelineHarness;
    let home: CliHome;
    let lake: Lake;
    const databases: TestDatabase[] = [];
    const plan = async (to: IsoDate = DAYS.at(-1)!): Promise<DatePlan[]> => {
      const result = await home.cli(['--json', 'plan', '--from', FIRST, '--to', to]);
      expect(result.status, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as DatePlan[];
    };

    beforeAll(async () => {
      const url = async () => {
        if (engine === 'duckdb') return undefined;
        const database = await createTestDatabase();
        databases.push(database);
        return database.url;
      };
      source = localLake();
      await generateBronze({ lake: source, settings: SETTINGS, from: FIRST, to: AFTER_CHANGE });
      reference = await createPipelineHarness({ warehouseUrl: await url() });
      for (const day of DAYS) await copyBronzeDay(source, reference.lake, day);
      for (const day of DAYS) expectRunOk(await reference.run(day));
      // The home's model project is a copy of the shipped one, so the test can change a model.
      home = createCliHome({ warehouseUrl: await url(), yaml: 'models:\n  project: project' });
      cpSync(SHIPPED_PROJECT, join(home.home, 'project'), { recursive: true });
      lake = await openLake(loadConfig({ home: home.home, cwd: home.home, env: {} }));
      for (const day of DAYS) if (day !== MISSING) await copyBronzeDay(source, lake, day);
    }, END_TO_END_SETUP_MS);

    afterAll(async () => {
      await lake?.close();
      await source?.close();
      await reference?.close();
      home?.remove();
      for (const database of databases) await database.drop();
    });

    it(
      'runs the nine dates that have bronze; plan says the tenth is missing',
      async () => {
        const dry = await home.cli(['backfill', '--from', FIRST, '--to', DAYS.at(-1)!, '--dry-run']);
        expect(dry.status, dry.stderr).toBe(0);
        expect(dry.stdout.match(/^would run {2}\S+ {2}missing$/gm)).toHaveLength(9);
        expect(dry.stdout).toContain(
          `skip       ${MISSING}  missing: no bronze partition of this date yet, never run`,
        );

        const backfill = await home.cli(['backfill', '--from', FIRST, '--to', DAYS.at(-1)!]);
        expect(backfill.status, backfill.stderr).toBe(0);
        expect(backfill.stdout).toMatch(/^9 of 9 dates succeeded; [\d,]+ bronze rows$/m);
        const plans = await plan();
        expect(plans.map((entry) => [entry.date, entry.status, entry.wouldRun])).toEqual(
          DAYS.map((day) => (day === MISSING ? [day, 'missing', false] : [day, 'up to date', false])),
        );
        expect(plans[4]!.reasons).toEqual(['no bronze partition of this date yet, never run']);
        const runs = await home.cli(['--json', 'runs', '--limit', '100']);
        const listed = JSON.parse(runs.stdout) as { logical_date: string; state: string; trigger: string }[];
        expect(listed.map((run) => [run.logical_date, run.state, run.trigger]).sort()).toEqual(
          DAYS.filter((day) => day !== MISSING).map((day) => [day, 'success', 'backfill']),
        );
      },
      END_TO_END_SETUP_MS,
    );

    it(
      'lists the date once its bronze is ingested, and `backfill --reprocess failed` completes the range',
      async () => {
        await copyBronzeDay(source, lake, MISSING);
        const plans = await plan();
        expect(plans.filter((entry) => entry.wouldRun).map((entry) => [entry.date, entry.status])).toEqual([
          [MISSING, 'missing'],
        ]);
        expect(plans[4]!.reasons[0]).toMatch(
          /^bronze present \(cards [\d,]+ rows, customers [\d,]+ rows, merchants [\d,]+ rows, transactions [\d,]+ rows\), never run$/,
        );

        const backfill = await home.cli([
          'backfill',
          '--from',
          FIRST,
          '--to',
          DAYS.at(-1)!,
          '--reprocess',
          'failed',
        ]);
        expect(backfill.status, backfill.stderr).toBe(0);
        expect(backfill.stdout).toMatch(/^1 of 1 dates succeeded/m);
        expect((await plan()).every((entry) => entry.status === 'up to date')).toBe(true);

        const opened = await home.open();
        try {
          const actual = await readPipelineState(opened.lake, opened.warehouse);
          const expected = await readPipelineState(reference.lake, reference.warehouse);
          expect(actual.silver).toBe(expected.silver);
          for (const relation of Object.keys(expected.warehouse).filter((name) =>
            name.startsWith('marts.'),
          )) {
            expect(actual.warehouse[relation], relation).toEqual(expected.warehouse[relation]);
          }
          expect(actual.gold).toEqual(expected.gold);
          // Silver's ledger counts depend on the order dates ran in; each id is inserted exactly once.
          const inserted = (entries: Record<string, unknown>[]) =>
            entries.reduce((sum, entry) => sum + Number(entry['inserted']), 0);
          expect(inserted(actual.ledger)).toBe(inserted(expected.ledger));
        } finally {
          await opened.close();
        }
      },
      END_TO_END_SETUP_MS,
    );

    it(
      'after a model changes, plans exactly the dates built before it as `models changed`',
      async () => {
        const model = join(home.home, 'project', 'models', 'marts', 'mart_sales_daily.sql');
        writeFileSync(model, `${readFileSync(model, 'utf8')}\n-- a changed model\n`);
        await copyBronzeDay(source, lake, AFTER_CHANGE);
        const run = await home.cli(['run', '--date', AFTER_CHANGE]);
        expect(run.status, run.stderr).toBe(0);

        const plans = await plan(AFTER_CHANGE);
        expect(plans.map((entry) => [entry.date, entry.status])).toEqual([
          ...DAYS.map((day) => [day, 'models changed']),
          [AFTER_CHANGE, 'up to date'],
        ]);
        for (const entry of plans.slice(0, -1)) {
          expect(entry.changedModels).toEqual(['mart_sales_daily']);
          expect(entry.reasons[0]).toMatch(/^models changed since run run-\S+: mart_sales_daily$/);
        }
        const table = await home.cli(['plan', '--from', FIRST, '--to', AFTER_CHANGE, '--explain']);
        expect(table.stdout).toContain(`${DAYS[0]}  models changed  yes`);
        expect(table.stdout).toMatch(/tasks: silver → quality → load → models → tests → gold/);
        expect(table.stdout).toMatch(/11 dates: 10 models changed, 1 up to date; 10 would run$/m);
      },
      END_TO_END_SETUP_MS,
    );
  });
}
