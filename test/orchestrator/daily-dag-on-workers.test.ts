import { hostname } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/core/dates.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { LEDGER_TABLE, silverTable } from '../../src/lake/lake-layout.ts';
import { listAll } from '../../src/lake/object-store.ts';
import type { PostgresStateStore } from '../../src/orchestrator/state/postgres/postgres-state-store.ts';
import { safeRunId } from '../../src/silver/ledger-entry.ts';
import { testSettings } from '../helpers/lake-files.ts';
import { END_TO_END_SETUP_MS, expectRunOk, type PipelineHarness } from '../helpers/pipeline-harness.ts';
import { postgresSkipReason } from '../helpers/postgres-test-database.ts';
import { REDIS_URL, redisSkipReason, uniqueQueue } from '../helpers/redis-test-server.ts';
import { S3_TEST_ENV } from '../helpers/test-lake.ts';
import { exited } from './helpers/child-process.ts';
import type { CliHome } from './helpers/cli-home.ts';
import { expectSamePipelineState } from './helpers/pipeline-state.ts';
import { openQueueHome, type QueueHome } from './helpers/queue-home.ts';
import {
  killWorkers,
  startWorkerProcess,
  stopWorkers,
  type WorkerProcess,
} from './helpers/worker-process.ts';

const DAYS = ['2025-03-01', '2025-03-02', '2025-03-03'] as IsoDate[];
const SETTINGS = testSettings({ rowsPerDay: 2000, customers: 300, merchants: 60, entityChangeRate: 0.05 });
const CHECKS = ['silver_check_1', 'silver_check_2', 'silver_check_3'];
const DAG_ORDER = [...CHECKS, 'silver', 'quality', 'load', 'models', 'tests', 'gold'];
const WAREHOUSE_TASKS = ['load', 'models'];
const OTHER_TASKS = ['quality', 'tests', 'gold'];
/**
 * Day 3's silver commit uploads its partition files (dozens) first, 8 at a time: dying before the 20th, it leaves
 * 12 or more in the lake and no commit.
 */
const KILL_IN_COMMIT = 'silver-upload#20';

const skip = (await redisSkipReason()) ?? (await postgresSkipReason());

describe.skipIf(skip)('daily_batch_etl on three queue workers (Redis, PostgreSQL, S3)', () => {
  let queueHome: QueueHome;
  let driver: CliHome;
  let state: PostgresStateStore;
  let lake: Lake;
  let reference: PipelineHarness;
  const running: WorkerProcess[] = [];

  beforeAll(async () => {
    queueHome = await openQueueHome({
      name: 'workers',
      redisUrl: REDIS_URL,
      queue: uniqueQueue('daily'),
      yaml: [
        // Silver split: three check tasks at once on the workers, then the commit (the reference runs one silver).
        'silver:',
        '  check_jobs: 3',
        'orchestrator:',
        '  heartbeat_interval: 1',
        '  heartbeat_timeout: 5',
        '  tasks:',
        '    silver: {retry_delay: 1}',
        '    load: {retry_delay: 1}',
        '    models: {retry_delay: 1}',
      ],
      days: { from: DAYS[0]!, to: DAYS.at(-1)! },
      settings: SETTINGS,
    });
    ({ driver, state, lake, reference } = queueHome);
  }, END_TO_END_SETUP_MS);

  afterEach(() => killWorkers(running));

  afterAll(async () => {
    await queueHome?.close();
  });

  /** `fintech-etl worker` in a home of its own, returned once its row is in the state store. */
  function startWorker(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<WorkerProcess> {
    return startWorkerProcess({
      home: queueHome.home().home,
      args,
      env: { ...S3_TEST_ENV, ...env },
      state,
      started: (worker) => running.push(worker),
    });
  }

  /** Silver, ledger, warehouse and gold of the queue home equal the in-process home's. */
  async function expectSameAsInProcess(): Promise<void> {
    await expectSamePipelineState(queueHome, reference);
  }

  /** Silver transaction files a silver try of `runId` uploaded that no committed snapshot lists. */
  async function uncommittedSilverFiles(runId: string): Promise<string[]> {
    const table = silverTable('transactions');
    const committed = new Set((await lake.snapshot(table)).files().map((file) => file.key));
    const keys: string[] = [];
    for await (const object of listAll(lake.store, `${table}/`)) {
      if (
        object.key.endsWith('.parquet') &&
        object.key.includes(safeRunId(runId)) &&
        !committed.has(object.key)
      )
        keys.push(object.key);
    }
    return keys.sort();
  }

  /** The runs with an entry in the committed ledger. */
  async function ledgerRuns(): Promise<string[]> {
    const entries = (await lake.snapshot(LEDGER_TABLE)).files();
    return Promise.all(
      entries.map(
        async (file) => JSON.parse((await lake.store.get(file.key)).toString('utf8')).run_id as string,
      ),
    );
  }

  async function runOf(day: IsoDate) {
    const runs = await state.listRuns({ logicalDate: day });
    expect(runs).toHaveLength(1);
    return runs[0]!;
  }

  it(
    'runs two days on the workers with the same silver, warehouse and gold as in process; workers lists them',
    async () => {
      const workers = await Promise.all([startWorker(), startWorker(), startWorker()]);
      const pids = workers.map((worker) => worker.pid!);

      const listed = await driver.cli(['--json', 'workers'], S3_TEST_ENV);
      expect(listed.status, listed.stderr).toBe(0);
      const rows = JSON.parse(listed.stdout) as {
        pid: number;
        host: string;
        state: string;
        tasks: string[];
      }[];
      expect(rows.map((row) => row.pid).sort()).toEqual([...pids].sort());
      for (const row of rows) {
        expect(row).toMatchObject({ host: hostname(), state: 'running' });
        expect(row.tasks).toEqual(DAG_ORDER.map((task) => `daily_batch_etl.${task}`));
      }

      for (const day of DAYS.slice(0, 2)) {
        const result = await driver.cli(['run', '--date', day], S3_TEST_ENV);
        expect(result.status, result.stderr).toBe(0);
        expectRunOk(await reference.run(day));
        const run = await runOf(day);
        expect(run.state).toBe('success');
        const tries = await state.tries(run.runId);
        // The checks run at once, so they start in any order; one try each, all succeeded.
        const inDagOrder = [...tries].sort((a, b) => DAG_ORDER.indexOf(a.task) - DAG_ORDER.indexOf(b.task));
        expect(inDagOrder.map((attempt) => [attempt.task, attempt.tryNumber, attempt.state])).toEqual(
          DAG_ORDER.map((task) => [task, 1, 'success']),
        );
        // Every try ran on a worker, none in the process driving the run.
        for (const attempt of tries) expect(pids).toContain(attempt.process.pid);
      }
      await expectSameAsInProcess();
      await stopWorkers(workers);
    },
    END_TO_END_SETUP_MS,
  );

  it(
    'completes a day whose check, commit, load and models workers are SIGKILLed mid-task, as in process',
    async () => {
      const day = DAYS[2]!;
      // The checks, the silver commit and the warehouse tasks go to workers of their own, so the test knows which
      // process each kill hits.
      const others = await Promise.all([
        startWorker(['--tasks', OTHER_TASKS.join(',')]),
        startWorker(['--tasks', OTHER_TASKS.join(',')]),
      ]);
      const worker = (tasks: string[]) => (kill?: string) =>
        startWorker(['--tasks', tasks.join(',')], kill ? { FINTECH_ETL_KILL_AT: kill } : {});
      const checkWorker = worker(CHECKS);
      const commitWorker = worker(['silver']);
      const warehouseWorker = worker(WAREHOUSE_TASKS);
      const inCheck = await checkWorker('silver_check_2/step-timed:step~stage upload');
      const inCommit = await commitWorker(KILL_IN_COMMIT);
      const inLoad = await warehouseWorker('load/statement-timed:sql~quarantine');
      const run = driver.start(['run', '--date', day], S3_TEST_ENV);

      expect(await exited(inCheck), inCheck.output()).toEqual({ code: null, signal: 'SIGKILL' });
      const checker = await checkWorker();
      expect(await exited(inCommit), inCommit.output()).toEqual({ code: null, signal: 'SIGKILL' });
      // It died between its uploads and its commit point: partition files in the lake that no commit lists.
      const runId = (await runOf(day)).runId;
      const killedUploads = await uncommittedSilverFiles(runId);
      expect(killedUploads.length).toBeGreaterThanOrEqual(12);
      expect(await ledgerRuns()).not.toContain(runId);
      const committer = await commitWorker();
      expect(await exited(inLoad), inLoad.output()).toEqual({ code: null, signal: 'SIGKILL' });
      // Its supervisor starts it again; this one dies in the models task.
      const inModels = await warehouseWorker('models/statement-timed:sql~mart_rfm_customer');
      expect(await exited(inModels), inModels.output()).toEqual({ code: null, signal: 'SIGKILL' });
      const last = await warehouseWorker();

      const result = await run.done;
      expect(result.status, result.stderr).toBe(0);
      expectRunOk(await reference.run(day));

      const recorded = await runOf(day);
      expect(recorded.state).toBe('success');
      for (const [task, killed, survivor] of [
        ['silver_check_2', inCheck, checker],
        ['silver', inCommit, committer],
        ['load', inLoad, inModels],
        ['models', inModels, last],
      ] as const) {
        const tries = await state.tries(recorded.runId, task);
        expect(tries.map((attempt) => [attempt.state, attempt.failureKind, attempt.process.pid])).toEqual([
          ['failed', 'killed', killed.pid],
          ['success', undefined, survivor.pid],
        ]);
      }
      // The killed commit's uploads stay outside silver (vacuum deletes them); the retry committed its own files.
      expect(await uncommittedSilverFiles(runId)).toEqual(killedUploads);
      expect(await ledgerRuns()).toContain(runId);
      await expectSameAsInProcess();
      await stopWorkers([...others, checker, committer, last]);
    },
    END_TO_END_SETUP_MS,
  );
});
