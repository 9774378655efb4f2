/**
 * Silver's check split over queue workers (issue 26): one generated day of BENCH_SPLIT_ROWS (default 1,000,000)
 * transactions, its silver
 * - in process (`runSilver`, unsplit): the baseline;
 * - for each N of BENCH_SPLIT_WORKERS (default 1,2,3) on `fintech-etl worker` processes, with config
 *   `silver.check_jobs: N`: N check workers, worker i serving only `silver_check_i` (one check each), and one
 *   commit worker serving only `silver`, idle while the checks run, so each process's CPU (/proc before and
 *   after) is one kind of job. N = 1 is the unsplit `silver` task alone on the commit worker (check_jobs 1 has no
 *   check task).
 * Every run starts from a copy of the same bronze on a lake folder the workers share (`shared_lake`), with
 * PostgreSQL state (a fresh database each) and Redis. The bench drives the run itself (runDag and the queue
 * executor) on the daily DAG cut down to its silver tasks: the rest of the DAG is not run. Each setup first runs
 * silver of a small warm-up day, unmeasured (WARM_UP).
 *
 * Per run: the silver stage's wall from the tries in the state store (first check start → commit end), the
 * checks' wall (first start → last end) and the commit's, CPU seconds of the checks and of the commit, and the
 * checks' share of the stage (the parallel fraction). Where check and commit are one try (in process, N = 1),
 * the check is silver's bronze read steps (read, parse, contract check, tokenize, hash: `step-timed` events
 * `read bronze/…`) and the commit the rest.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAILY_DAG, dailyBatchEtl } from '../pipeline/dag/daily-batch-etl.ts';
import { silverCheckName } from '../pipeline/dag/silver-check-task.ts';
import { loadConfig } from '../src/config/load-config.ts';
import type { IsoDate } from '../src/core/dates.ts';
import type { PipelineEvent } from '../src/core/pipeline-event.ts';
import { measure } from '../src/core/stopwatch.ts';
import { openLake } from '../src/lake/open-lake.ts';
import { defineDag } from '../src/orchestrator/definitions/dag.ts';
import { readEventLog } from '../src/orchestrator/execution/event-log.ts';
import { queueExecutor } from '../src/orchestrator/execution/queue/queue-executor.ts';
import { TaskQueue } from '../src/orchestrator/execution/queue/task-queue.ts';
import { runDag } from '../src/orchestrator/execution/run-dag.ts';
import { PostgresStateStore } from '../src/orchestrator/state/postgres/postgres-state-store.ts';
import type { TryRecord } from '../src/orchestrator/state/state-store.ts';
import { runSilver } from '../src/silver/run-silver.ts';
import {
  createTestDatabase,
  postgresSkipReason,
  type TestDatabase,
} from '../test/helpers/postgres-test-database.ts';
import { REDIS_URL, redisSkipReason, uniqueQueue } from '../test/helpers/redis-test-server.ts';
import { processCpuSeconds } from './lib/process-cpu.ts';
import type { Benchmark } from './run.ts';

const ROWS = Number(process.env['BENCH_SPLIT_ROWS'] ?? 1_000_000);
const WORKER_COUNTS = (process.env['BENCH_SPLIT_WORKERS'] ?? '1,2,3').split(',').map(Number);
const CLI = fileURLToPath(new URL('../bin/fintech-etl', import.meta.url));
const DAY = '2025-03-01' as IsoDate;
/**
 * A small day far enough before DAY that none of DAY's late rows reach its partitions, run first and not
 * measured: a fresh worker's first try loads the pipeline's modules, which a long-lived worker has done long ago.
 */
const WARM_UP = '2025-01-01' as IsoDate;
const WARM_UP_ROWS = 1_000;

/** Wall and CPU seconds of one part of the silver stage. */
interface Part {
  seconds: number;
  cpuSeconds: number;
}

interface StageFigures {
  label: string;
  stage: Part;
  check: Part;
  commit: Part;
  /** Per check job, when the check ran as jobs of their own. */
  checkJobs?: Part[];
}

/** A home with this config and the same tokenization key as every other home of the bench. */
function home(root: string, name: string, yaml: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'secrets'), { recursive: true });
  writeFileSync(join(dir, 'secrets', 'tokenization.key'), 'cd'.repeat(32), { mode: 0o600 });
  writeFileSync(join(dir, 'fintech-etl.yaml'), yaml);
  return dir;
}

/** The bronze read steps of one silver try (its check), from its step events. */
function bronzeReadSteps(events: readonly Record<string, unknown>[]): Part {
  const reads = events.filter(
    (event) =>
      event['kind'] === 'step-timed' && String(event['step']).startsWith('read bronze/transactions/'),
  );
  return {
    seconds: reads.reduce((sum, event) => sum + Number(event['seconds']), 0),
    cpuSeconds: reads.reduce((sum, event) => sum + Number(event['cpuSeconds']), 0),
  };
}

const minus = (whole: Part, part: Part): Part => ({
  seconds: whole.seconds - part.seconds,
  cpuSeconds: whole.cpuSeconds - part.cpuSeconds,
});

async function inProcess(root: string, template: string): Promise<StageFigures> {
  const dir = home(root, 'in-process', `lake: ${join(root, 'in-process-lake')}\n`);
  cpSync(template, join(root, 'in-process-lake'), { recursive: true });
  const config = loadConfig({ home: dir, cwd: dir, env: {} });
  const lake = await openLake(config);
  await runSilver({ config, lake, ingestDate: WARM_UP, runId: 'bench-warm-up' });
  const events: PipelineEvent[] = [];
  const measured = await measure(() =>
    runSilver({
      config,
      lake,
      ingestDate: DAY,
      runId: 'bench-in-process',
      events: { emit: (e) => events.push(e) },
    }),
  );
  const stage = { seconds: measured.seconds, cpuSeconds: measured.cpuSeconds };
  const check = bronzeReadSteps(events as unknown as Record<string, unknown>[]);
  return { label: 'in process, unsplit', stage, check, commit: minus(stage, check) };
}

const seconds = (from: Date, to: Date) => (to.getTime() - from.getTime()) / 1000;

async function onWorkers(
  root: string,
  template: string,
  jobs: number,
  warehouseUrl: string,
  stateUrl: string,
): Promise<StageFigures> {
  const lake = join(root, `lake-${jobs}`);
  cpSync(template, lake, { recursive: true });
  const queue = uniqueQueue('bench-split');
  const yaml =
    `warehouse: ${warehouseUrl}\nstate: ${stateUrl}\nlake: ${lake}\nsilver:\n  check_jobs: ${jobs}\n` +
    `executor: {kind: queue, redis: "${REDIS_URL}", queue: ${queue}, shared_lake: true}\n`;
  const checkTasks = jobs > 1 ? Array.from({ length: jobs }, (_, index) => silverCheckName(index)) : [];
  const start = (name: string, task: string) =>
    spawn(CLI, ['--home', home(root, `${name}-of-${jobs}`, yaml), 'worker', '--tasks', task], {
      stdio: 'ignore',
    });
  const checkWorkers = checkTasks.map((task) => start(task, task));
  const commitWorker = start('commit', 'silver');
  const workers = [...checkWorkers, commitWorker];
  const store = await PostgresStateStore.open(stateUrl);
  const taskQueue = new TaskQueue({ redis: { url: REDIS_URL }, queue });
  try {
    while ((await store.listWorkers()).length < workers.length) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // The daily DAG as the workers build it from the same config, cut after silver: the driver only queues.
    const daily = dailyBatchEtl(undefined, { silverCheckJobs: jobs });
    const dag = defineDag({
      name: DAILY_DAG,
      tasks: [...checkTasks, 'silver'].map((task) => daily.task(task)),
      maxActiveTasks: daily.maxActiveTasks,
    });
    const run = (logicalDate: IsoDate) =>
      runDag({
        dag,
        store,
        logicalDate,
        logsDir: join(root, `driver-${jobs}-logs`),
        executor: queueExecutor(taskQueue),
      });
    const warmUp = await run(WARM_UP);
    if (warmUp.outcome !== 'success') throw new Error(`warm-up on ${jobs} worker(s) failed: ${warmUp.error}`);
    const cpuBefore = workers.map((worker) => processCpuSeconds(worker.pid!));
    const result = await run(DAY);
    const cpu = workers.map((worker, index) => processCpuSeconds(worker.pid!) - cpuBefore[index]!);
    if (result.outcome !== 'success') throw new Error(`silver on ${jobs} worker(s) failed: ${result.error}`);
    const tries = await store.tries(result.runId);
    const lastTry = (task: string): TryRecord => {
      const found = tries.filter((each) => each.task === task && each.state === 'success');
      if (found.length !== 1 || tries.filter((each) => each.task === task).length !== 1) {
        throw new Error(`${task}: expected one try, which succeeded`);
      }
      return found[0]!;
    };
    const commitTry = lastTry('silver');
    const commitCpu = cpu.at(-1)!;
    if (checkTasks.length === 0) {
      const stage = { seconds: seconds(commitTry.startedAt, commitTry.finishedAt!), cpuSeconds: commitCpu };
      const check = bronzeReadSteps((await readEventLog(commitTry.logPath)).events);
      return { label: '1 worker (unsplit silver task)', stage, check, commit: minus(stage, check) };
    }
    const checkTries = checkTasks.map(lastTry);
    const firstStart = new Date(Math.min(...checkTries.map((each) => each.startedAt.getTime())));
    const lastEnd = new Date(Math.max(...checkTries.map((each) => each.finishedAt!.getTime())));
    const checkJobs = checkTries.map((each, index) => ({
      seconds: seconds(each.startedAt, each.finishedAt!),
      cpuSeconds: cpu[index]!,
    }));
    const checkCpu = checkJobs.reduce((sum, each) => sum + each.cpuSeconds, 0);
    return {
      label: `${jobs} workers (${jobs} check jobs + commit)`,
      stage: { seconds: seconds(firstStart, commitTry.finishedAt!), cpuSeconds: checkCpu + commitCpu },
      check: { seconds: seconds(firstStart, lastEnd), cpuSeconds: checkCpu },
      commit: { seconds: seconds(commitTry.startedAt, commitTry.finishedAt!), cpuSeconds: commitCpu },
      checkJobs,
    };
  } finally {
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(
      workers.map((worker) =>
        worker.exitCode === null ? new Promise((resolve) => worker.once('exit', resolve)) : undefined,
      ),
    );
    await taskQueue.close();
    await store.close();
    await rm(lake, { recursive: true, force: true });
  }
}

function print(figures: StageFigures): void {
  const { stage, check, commit } = figures;
  const part = (each: Part) => `${each.seconds.toFixed(2)} s (${each.cpuSeconds.toFixed(2)} CPU-s)`;
  console.log(
    `${figures.label}: silver ${part(stage)}; checks ${part(check)}, commit ${part(commit)}; ` +
      `checks' share ${((check.seconds / stage.seconds) * 100).toFixed(0)} % wall, ` +
      `${((check.cpuSeconds / stage.cpuSeconds) * 100).toFixed(0)} % CPU`,
  );
  if (figures.checkJobs) console.log(`  check jobs: ${figures.checkJobs.map(part).join(', ')}`);
  const load = loadavg().map((each) => each.toFixed(2));
  console.log(`  load average now ${load.join(' / ')}`);
}

export const benchmark: Benchmark = {
  title: `silver of a ${ROWS.toLocaleString()}-row day, its check split over ${WORKER_COUNTS.join(', ')} queue workers vs in process`,
  async run() {
    if ((await postgresSkipReason()) || (await redisSkipReason())) return;
    const root = mkdtempSync(join(tmpdir(), 'bench-silver-split-'));
    const databases: TestDatabase[] = [];
    const database = async () => {
      const created = await createTestDatabase();
      databases.push(created);
      return created.url;
    };
    try {
      const template = join(root, 'template-lake');
      const generator = home(root, 'template', `lake: ${template}\n`);
      for (const [date, rows] of [
        [WARM_UP, WARM_UP_ROWS],
        [DAY, ROWS],
      ] as const) {
        const generated = spawnSync(
          CLI,
          ['--home', generator, 'generate', '--from', date, '--rows', String(rows)],
          { encoding: 'utf8' },
        );
        if (generated.status !== 0) throw new Error(`fintech-etl generate failed: ${generated.stderr}`);
      }
      console.log(
        `load average at start ${loadavg()
          .map((each) => each.toFixed(2))
          .join(' / ')}`,
      );
      print(await inProcess(root, template));
      await rm(join(root, 'in-process-lake'), { recursive: true, force: true });
      const warehouseUrl = await database();
      for (const jobs of WORKER_COUNTS) {
        print(await onWorkers(root, template, jobs, warehouseUrl, await database()));
      }
    } finally {
      for (const each of databases) await each.drop();
      await rm(root, { recursive: true, force: true });
    }
  },
};
