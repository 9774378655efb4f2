import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, type IsoDate } from '../../src/core/dates.ts';
import type { PostgresStateStore } from '../../src/orchestrator/state/postgres/postgres-state-store.ts';
import { testSettings } from '../helpers/lake-files.ts';
import { END_TO_END_SETUP_MS, expectRunOk } from '../helpers/pipeline-harness.ts';
import { postgresSkipReason } from '../helpers/postgres-test-database.ts';
import { type PrivateRedis, redisSkipReason, startPrivateRedis } from '../helpers/redis-test-server.ts';
import { S3_TEST_ENV } from '../helpers/test-lake.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { expectSamePipelineState } from './helpers/pipeline-state.ts';
import { openQueueHome, type QueueHome } from './helpers/queue-home.ts';
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
  const workers: WorkerProcess[] = [];
  let redis: PrivateRedis;
  let queueHome: QueueHome;
  let state: PostgresStateStore;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    queueHome = await openQueueHome({
      name: 'backfill-workers',
      redisUrl: redis.url,
      queue: 'backfill',
      yaml: [
        'silver:',
        '  check_jobs: 2',
        'orchestrator:',
        '  heartbeat_interval: 1',
        '  heartbeat_timeout: 5',
      ],
      days: { from: DAYS[0]!, to: DAYS.at(-1)! },
      settings: SETTINGS,
    });
    state = queueHome.state;
  }, END_TO_END_SETUP_MS);

  afterAll(async () => {
    await killWorkers(workers);
    await queueHome?.close();
    await redis?.stop();
  });

  function startWorker(): Promise<WorkerProcess> {
    return startWorkerProcess({
      home: queueHome.home().home,
      env: S3_TEST_ENV,
      state,
      started: (worker) => workers.push(worker),
    });
  }

  it(
    'ends with the silver, ledger, warehouse and gold of ten in-order runs in one process, each task run once',
    async () => {
      await Promise.all([startWorker(), startWorker(), startWorker()]);
      const { driver, reference } = queueHome;
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

      const actual = await expectSamePipelineState(queueHome, reference);
      expect(actual.ledger).toHaveLength(DAYS.length);
    },
    2 * END_TO_END_SETUP_MS,
  );
});
