import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { addDays, type IsoDate } from '../../src/core/dates.ts';
import { generateBronze } from '../../src/generate/generate-bronze.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { openLake } from '../../src/lake/open-lake.ts';
import { S3ObjectStore } from '../../src/lake/s3/s3-object-store.ts';
import { PostgresStateStore } from '../../src/orchestrator/state/postgres/postgres-state-store.ts';
import { PostgresWarehouse } from '../../src/warehouse/postgres/postgres-warehouse.ts';
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
import { type PrivateRedis, redisSkipReason, startPrivateRedis } from '../helpers/redis-test-server.ts';
import type { S3TestServer } from '../helpers/s3-test-server.ts';
import { S3_TEST_ENV, s3LakeYaml, sharedS3Server, stopSharedS3Server } from '../helpers/test-lake.ts';
import { type CliHome, createCliHome } from './helpers/cli-home.ts';
import { expectSamePipelineState } from './helpers/pipeline-state.ts';
import { waitFor } from './helpers/wait-for.ts';
import { killWorkers, startWorkerProcess, type WorkerProcess } from './helpers/worker-process.ts';

const FIRST = '2025-03-01' as IsoDate;
const DAYS = Array.from({ length: 10 }, (_, offset) => addDays(FIRST, offset));
const SETTINGS = testSettings({ rowsPerDay: 600, customers: 150, merchants: 40, entityChangeRate: 0.05 });
const DAG_ORDER = [
  'silver_check_1',
  'silver_check_2',
  'silver',
  'quality',
  'load',
  'models',
  'tests',
  'gold',
];

const skip = (await redisSkipReason({ needsServerBinary: true })) ?? (await postgresSkipReason());

describe.skipIf(skip)('backfill of ten days on three queue workers across a Redis restart', () => {
  const databases: TestDatabase[] = [];
  const homes: CliHome[] = [];
  const workers: WorkerProcess[] = [];
  let redis: PrivateRedis;
  let server: S3TestServer;
  let yaml: string;
  let state: PostgresStateStore;
  let warehouse: PostgresWarehouse;
  let lake: Lake;
  let reference: PipelineHarness;

  const database = async () => {
    const created = await createTestDatabase();
    databases.push(created);
    return created.url;
  };
  const home = () => {
    const created = createCliHome({ yaml });
    homes.push(created);
    return created;
  };

  beforeAll(async () => {
    redis = await startPrivateRedis();
    server = await sharedS3Server();
    const prefix = `backfill-workers-${process.pid}`;
    const [warehouseUrl, stateUrl, referenceUrl] = [await database(), await database(), await database()];
    yaml = [
      `warehouse: ${warehouseUrl}`,
      `state: ${stateUrl}`,
      s3LakeYaml(server, prefix),
      `executor: {kind: queue, redis: "${redis.url}", queue: backfill}`,
      'silver:',
      '  check_jobs: 2',
      'orchestrator:',
      '  heartbeat_interval: 1',
      '  heartbeat_timeout: 5',
    ].join('\n');
    const config = loadConfig({ home: home().home, cwd: homes[0]!.home, env: {} });
    lake = await openLake(config, {
      store: new S3ObjectStore({
        client: server.client(),
        bucket: server.bucket,
        prefix,
        encryption: { kind: 'AES256' },
      }),
    });
    state = await PostgresStateStore.open(stateUrl);
    warehouse = await PostgresWarehouse.open(warehouseUrl);
    reference = await createPipelineHarness({ warehouseUrl: referenceUrl });
    for (const target of [lake, reference.lake]) {
      await generateBronze({ lake: target, settings: SETTINGS, from: DAYS[0]!, to: DAYS.at(-1)! });
    }
  }, END_TO_END_SETUP_MS);

  afterAll(async () => {
    await killWorkers(workers);
    await reference?.close();
    await lake?.close();
    await warehouse?.close();
    await state?.close();
    await redis?.stop();
    for (const each of homes) each.remove();
    for (const each of databases) await each.drop();
    await stopSharedS3Server();
  });

  function startWorker(): Promise<WorkerProcess> {
    return startWorkerProcess({
      home: home().home,
      env: S3_TEST_ENV,
      state,
      started: (worker) => workers.push(worker),
    });
  }

  it(
    'ends with the silver, ledger, warehouse and gold of ten in-order runs in one process, each task run once',
    async () => {
      await Promise.all([startWorker(), startWorker(), startWorker()]);
      const driver = homes[0]!;
      const backfill = driver.start(['backfill', '--from', DAYS[0]!, '--to', DAYS.at(-1)!], S3_TEST_ENV);

      // Every date is in flight at once: the ten runs exist (their checks queued) before the first one ends.
      await waitFor(
        async () => (await state.listRuns({})).length === DAYS.length,
        'ten runs in flight',
        () => '',
        300_000,
      );
      const first = (await state.listRuns({ logicalDate: DAYS[0] }))[0]!;
      expect(first.state).toBe('running');
      // Redis loses everything in the middle of the backfill.
      await waitFor(
        async () => (await state.listRuns({ states: ['success'] })).length >= 3,
        'three dates to succeed',
        () => '',
        300_000,
      );
      await redis.restart();

      const result = await backfill.done;
      expect(
        result.status,
        `${result.stderr}\n${workers.map((worker) => worker.output().slice(-2000)).join('\n')}`,
      ).toBe(0);
      expect(result.stdout).toContain(`${DAYS.length} of ${DAYS.length} dates succeeded`);
      for (const day of DAYS) expectRunOk(await reference.run(day));

      const runs = await state.listRuns({});
      expect(runs.map((run) => [run.logicalDate, run.state]).sort()).toEqual(
        DAYS.map((day) => [day, 'success']),
      );
      for (const run of runs) {
        const tries = await state.tries(run.runId);
        expect(
          tries.map((attempt) => [attempt.task, attempt.tryNumber, attempt.state]),
          run.logicalDate,
        ).toEqual(expect.arrayContaining(DAG_ORDER.map((task) => [task, 1, 'success'])));
        expect(tries, run.logicalDate).toHaveLength(DAG_ORDER.length);
      }
      // The dependent tasks kept date order: each date's silver commit started after the previous date's gold.
      const startOf = async (day: IsoDate, task: string) =>
        (await state.tries(runs.find((run) => run.logicalDate === day)!.runId, task))[0]!;
      for (const [index, day] of DAYS.slice(1).entries()) {
        const previousGold = await startOf(DAYS[index]!, 'gold');
        const silver = await startOf(day, 'silver');
        expect(silver.startedAt.getTime()).toBeGreaterThanOrEqual(previousGold.finishedAt!.getTime());
      }

      const actual = await expectSamePipelineState({ lake, warehouse }, reference);
      expect(actual.ledger).toHaveLength(DAYS.length);
    },
    2 * END_TO_END_SETUP_MS,
  );
});
