/**
 * Issue 21 point 5: two writers never interleave on one PostgreSQL warehouse, even from two homes (two lakes,
 * two state stores, so the home's writer lease cannot see the other). Two real `fintech-etl run` processes: the
 * second one, while the first holds the warehouse, exits 1 with one sentence naming the holder; with `--wait` it
 * waits for the first to finish, then runs, and its run starts after the first one ended.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import type { IsoDate } from '../../src/core/dates.ts';
import { generateBronze } from '../../src/generate/generate-bronze.ts';
import { openLake } from '../../src/lake/open-lake.ts';
import { SqliteStateStore } from '../../src/orchestrator/state/sqlite/sqlite-state-store.ts';
import type { RunRecord } from '../../src/orchestrator/state/state-store.ts';
import { testSettings } from '../helpers/lake-files.ts';
import { END_TO_END_SETUP_MS } from '../helpers/pipeline-harness.ts';
import {
  createTestDatabase,
  postgresSkipReason,
  type TestDatabase,
} from '../helpers/postgres-test-database.ts';
import { type CliHome, createCliHome } from './helpers/cli-home.ts';

const DAY = '2025-03-01' as IsoDate;
const SETTINGS = testSettings({ rowsPerDay: 500, customers: 150, merchants: 40 });
const skip = await postgresSkipReason();

async function latestRun(home: CliHome): Promise<RunRecord | undefined> {
  const store = new SqliteStateStore(join(home.home, 'state.db'));
  try {
    return (await store.listRuns({ logicalDate: DAY }))[0];
  } finally {
    await store.close();
  }
}

describe.skipIf(skip)('two homes writing one PostgreSQL warehouse', () => {
  let database: TestDatabase;
  let first: CliHome;
  let second: CliHome;

  beforeAll(async () => {
    database = await createTestDatabase();
    // The first home's gold fails once and waits 20 s to retry, holding the warehouse all the while.
    first = createCliHome({
      warehouseUrl: database.url,
      yaml: 'orchestrator:\n  tasks:\n    gold: { retries: 1, retry_delay: 20 }',
    });
    second = createCliHome({ warehouseUrl: database.url });
    for (const home of [first, second]) {
      const lake = await openLake(loadConfig({ home: home.home, cwd: home.home, env: {} }));
      await generateBronze({ lake, settings: SETTINGS, from: DAY, to: DAY });
      await lake.close();
    }
  }, END_TO_END_SETUP_MS);

  afterAll(async () => {
    first?.remove();
    second?.remove();
    await database?.drop();
  });

  it(
    'refuses the second writer naming the first, and lets it run after the first with --wait',
    async () => {
      const holder = first.start(['run', '--date', DAY], { FINTECH_ETL_FAIL_TASK: 'gold:1' });
      // Wait until the first run is inside its retry window: it has written the warehouse and holds it.
      for (;;) {
        const store = new SqliteStateStore(join(first.home, 'state.db'));
        const run = (await store.listRuns({ logicalDate: DAY }))[0];
        const gold = run ? await store.tries(run.runId, 'gold') : [];
        await store.close();
        if (gold.some((attempt) => attempt.state === 'failed')) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      const refused = await second.cli(['run', '--date', DAY]);
      expect(refused.status).toBe(1);
      const lines = refused.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^fintech-etl: another fintech-etl process is writing this warehouse \\(127\\.0\\.0\\.1:5432/${database.url.split('/').at(-1)}\\): ` +
            `process ${holder.pid} on \\S+ \\(fintech-etl .*run --date ${DAY}\\), home ${first.home}, since \\S+; use --wait SECONDS to wait for it$`,
        ),
      );
      // Refused before it wrote anything: no run was started.
      expect(await latestRun(second)).toBeUndefined();

      const waited = await second.cli(['run', '--date', DAY, '--wait', '120']);
      expect(waited.status, waited.stderr).toBe(0);
      const held = await holder.done;
      expect(held.status, held.stderr).toBe(0);
      const firstRun = (await latestRun(first))!;
      const secondRun = (await latestRun(second))!;
      expect(firstRun.state).toBe('success');
      expect(secondRun.state).toBe('success');
      expect(secondRun.startedAt.getTime()).toBeGreaterThanOrEqual(firstRun.finishedAt!.getTime());
    },
    END_TO_END_SETUP_MS,
  );
});
