/**
 * The sweep of issues 21 and 22: `fintech-etl run --date D` killed with SIGKILL at ten points from start to end
 * (inside silver, load, models, tests and gold; each chosen by an event of the run, not by timing), then `run`
 * again: the run is resumed under its id, the state shows the killed try, and silver, the ledger, the
 * warehouse (core, marts, audit) and gold equal those of an uninterrupted run of the same days. One day per kill
 * point, on DuckDB and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { addDays, type IsoDate } from '../../src/core/dates.ts';
import { generateBronze } from '../../src/generate/generate-bronze.ts';
import { openLake } from '../../src/lake/open-lake.ts';
import { testSettings } from '../helpers/lake-files.ts';
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
import { type CliHome, createCliHome } from './helpers/cli-home.ts';
import { readPipelineState } from './helpers/pipeline-state.ts';

const FIRST = '2025-03-01' as IsoDate;
const SETTINGS = testSettings({ rowsPerDay: 800, customers: 200, merchants: 50, entityChangeRate: 0.05 });

/** Where each day's run dies: the task whose try is killed, and the event it dies at (src/cli/fault-hooks.ts). */
const KILL_POINTS: { task: string; at: string; where: string; known?: string }[] = [
  { task: 'silver', at: 'silver/step-timed:step~check-records', where: 'reading bronze' },
  { task: 'silver', at: 'silver-commit-point', where: 'right after its commit point' },
  { task: 'silver', at: 'silver/step-timed:step~commit', where: 'committed, output not recorded' },
  { task: 'load', at: 'load/statement-timed:sql~silver_transactions_batch', where: 'after the batch view' },
  { task: 'load', at: 'load/statement-timed:sql~quarantine', where: 'loading the quarantine' },
  { task: 'models', at: 'models/statement-timed:sql~"core"."dim_customer"', where: 'building dim_customer' },
  { task: 'models', at: 'models/statement-timed:sql~mart_rfm_customer', where: 'building the RFM mart' },
  { task: 'tests', at: 'tests/statement-timed:sql~fintech_test#2', where: 'running the tests' },
  { task: 'gold', at: 'gold/step-timed:step~export mart_merchant_daily', where: 'exporting the marts' },
  // Issue 21 point 1: a kill between the fact's commit and its aggregate's (change records stay until every
  // reader has built).
  {
    task: 'models',
    at: 'models/statement-timed:sql~agg_customer_daily',
    where: 'after the fact, before its aggregate',
  },
];
const DAYS = KILL_POINTS.map((_, index) => addDays(FIRST, index));
const postgresSkip = await postgresSkipReason();

for (const engine of ['duckdb', 'postgres'] as const) {
  describe.skipIf(engine === 'postgres' && postgresSkip)(
    `run killed at ten points, then run again (${engine})`,
    () => {
      let reference: PipelineHarness;
      let home: CliHome;
      const databases: TestDatabase[] = [];

      beforeAll(async () => {
        const url = async () => {
          if (engine === 'duckdb') return undefined;
          const database = await createTestDatabase();
          databases.push(database);
          return database.url;
        };
        reference = await createPipelineHarness({ warehouseUrl: await url() });
        home = createCliHome({ warehouseUrl: await url() });
        const lake = await openLake(loadConfig({ home: home.home, cwd: home.home, env: {} }));
        for (const target of [reference.lake, lake]) {
          await generateBronze({ lake: target, settings: SETTINGS, from: FIRST, to: DAYS.at(-1)! });
        }
        await lake.close();
      }, END_TO_END_SETUP_MS);

      afterAll(async () => {
        await reference?.close();
        home?.remove();
        for (const database of databases) await database.drop();
      });

      for (const [index, point] of KILL_POINTS.entries()) {
        const day = DAYS[index]!;
        // A point whose defect is fixed elsewhere is expected to fail here until that fix is merged.
        (point.known ? it.fails : it)(
          `${day}: killed in ${point.task} (${point.where}), the rerun resumes it and ends as an uninterrupted run` +
            (point.known ? ` [fails until ${point.known} is merged]` : ''),
          async () => {
            const killed = await home.cli(['run', '--date', day], { FINTECH_ETL_KILL_AT: point.at });
            expect(killed.signal, killed.stderr).toBe('SIGKILL');
            const rerun = await home.cli(['run', '--date', day]);
            expect(rerun.status, rerun.stderr).toBe(0);
            expect(rerun.stdout).toContain('(resumed)');
            expectRunOk(await reference.run(day));

            const opened = await home.open();
            try {
              const [run, ...older] = await opened.state.listRuns({ logicalDate: day });
              expect(older).toEqual([]);
              expect(run).toMatchObject({ state: 'success' });
              const tries = await opened.state.tries(run!.runId, point.task);
              expect(tries.map((attempt) => [attempt.state, attempt.failureKind])).toEqual([
                ['failed', 'killed'],
                ['success', undefined],
              ]);
              expect(tries[0]!.error).toMatch(/^killed: process \d+ on .* is no longer running before try 1/);
              const actual = await readPipelineState(opened.lake, opened.warehouse);
              const expected = await readPipelineState(reference.lake, reference.warehouse);
              expect(actual.silver).toBe(expected.silver);
              expect(actual.ledger).toEqual(expected.ledger);
              for (const relation of Object.keys(expected.warehouse)) {
                expect(actual.warehouse[relation], relation).toEqual(expected.warehouse[relation]);
              }
              expect(actual.gold).toEqual(expected.gold);
            } finally {
              await opened.close();
            }
          },
          END_TO_END_SETUP_MS,
        );
      }
    },
  );
}
