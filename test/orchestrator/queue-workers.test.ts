import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/core/dates.ts';
import type { Dag } from '../../src/orchestrator/definitions/dag.ts';
import type { JsonObject } from '../../src/orchestrator/definitions/json-value.ts';
import { queueExecutor } from '../../src/orchestrator/execution/queue/queue-executor.ts';
import { TaskQueue } from '../../src/orchestrator/execution/queue/task-queue.ts';
import { type RunDagOptions, runDag } from '../../src/orchestrator/execution/run-dag.ts';
import { PostgresStateStore } from '../../src/orchestrator/state/postgres/postgres-state-store.ts';
import {
  createTestDatabase,
  postgresSkipReason,
  type TestDatabase,
} from '../helpers/postgres-test-database.ts';
import {
  type PrivateRedis,
  REDIS_URL,
  redisSkipReason,
  startPrivateRedis,
  uniqueQueue,
} from '../helpers/redis-test-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { waitFor as waitUntil } from '../helpers/wait-for.ts';
import { exited } from './helpers/child-process.ts';
import { logEvents } from './helpers/control-plane-fixture.ts';
import { BRANCHES, drainDag, fanoutDag, killableDag } from './helpers/queue-test-dags.ts';
import { killWorkers, startWorkerProcess, type WorkerProcess } from './helpers/worker-process.ts';

const DAG_MODULE = fileURLToPath(new URL('./helpers/queue-test-dags.ts', import.meta.url));
const DATE = '2025-03-01' as IsoDate;

let skip: string | undefined;
let database: TestDatabase | undefined;
let store: PostgresStateStore;

beforeAll(async () => {
  skip =
    (await redisSkipReason()) ??
    (await redisSkipReason({ needsServerBinary: true })) ??
    (await postgresSkipReason());
  if (skip) return;
  database = await createTestDatabase();
  store = await PostgresStateStore.open(database.url);
});
afterAll(async () => {
  await store?.close();
  await database?.drop();
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

interface Setup {
  home: string;
  /** Where the tasks record their calls (the run's `conf.dir`). */
  dir: string;
  queue: string;
  redisUrl: string;
}

/** A home whose config queues tasks on `queue` of Redis at `redisUrl`, with the state in the test database. */
function setup(redisUrl = REDIS_URL): Setup {
  const home = mkdtempSync(join(tmpdir(), 'fintech-queue-'));
  const dir = join(home, 'calls');
  mkdirSync(dir);
  const queue = uniqueQueue('workers');
  writeFileSync(
    join(home, 'fintech-etl.yaml'),
    [
      `state: ${database!.url}`,
      `lake: ${join(home, 'lake')}`,
      `executor: {kind: queue, redis: "${redisUrl}", queue: ${queue}, shared_lake: true}`,
      'orchestrator: {heartbeat_interval: 1, heartbeat_timeout: 5}',
      '',
    ].join('\n'),
  );
  return { home, dir, queue, redisUrl };
}

/** `fintech-etl worker` as users start it, waiting until its row (on this test's queue) is in the state store. */
function startWorker(s: Setup, args: string[] = []): Promise<WorkerProcess> {
  return startWorkerProcess({
    home: s.home,
    args: ['--dag-module', DAG_MODULE, ...args],
    state: store,
    queue: s.queue,
    started: (worker) => cleanups.push(() => killWorkers([worker])),
  });
}

/** Waits at most a minute: these DAGs' tasks take seconds. */
function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  detail?: () => string,
): Promise<void> {
  return waitUntil(condition, what, detail, 60_000);
}

/** Drives a run from this process through the queue executor, as `run` does with `executor: queue`. */
function drive(s: Setup, dag: Dag, conf: JsonObject, extra: Partial<RunDagOptions> = {}) {
  const queue = new TaskQueue({ redis: { url: s.redisUrl }, queue: s.queue });
  cleanups.push(() => queue.close());
  return runDag({
    dag,
    store,
    logicalDate: DATE,
    logsDir: join(s.home, 'logs'),
    conf: { dir: s.dir, ...conf },
    heartbeatIntervalMs: 1000,
    heartbeatTimeoutMs: 5000,
    executor: queueExecutor(queue, { pollIntervalMs: 250, reconcileIntervalMs: 500 }),
    ...extra,
  });
}

/** The pids a task's calls ran in, one per call. */
function calls(s: Setup, task: string): number[] {
  const path = join(s.dir, `calls-${task}`);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => Number(line.split(' ')[0]));
}

describe('queue workers', () => {
  it('spread the parallel branches of a DAG over three worker processes, as the state records', async (test) => {
    if (skip) test.skip();
    const s = setup();
    const workers = await Promise.all([startWorker(s), startWorker(s), startWorker(s)]);
    const pids = workers.map((worker) => worker.pid!);

    const listed = await runCli(['--home', s.home, '--json', 'workers'], s.home);
    expect(listed.status).toBe(0);
    const rows = JSON.parse(listed.stdout) as { pid: number; host: string; state: string; tasks: string[] }[];
    expect(rows.map((row) => row.pid).sort()).toEqual([...pids].sort());
    for (const row of rows) {
      expect(row).toMatchObject({ host: hostname(), state: 'running' });
      expect(row.tasks).toEqual(expect.arrayContaining(['fanout.b1', 'killable.work', 'drain.second']));
    }

    const result = await drive(s, fanoutDag, {});
    expect(result.outcome).toBe('success');
    expect(result.tasks.find((task) => task.task === 'join')?.output).toEqual({ branches: [...BRANCHES] });

    const tries = await store.tries(result.runId);
    expect(tries.map((attempt) => [attempt.task, attempt.tryNumber, attempt.state]).sort()).toEqual(
      ['b1', 'b2', 'b3', 'b4', 'b5', 'join', 'start'].map((task) => [task, 1, 'success']),
    );
    for (const attempt of tries) {
      expect(pids).toContain(attempt.process.pid);
      expect(attempt.process.host).toBe(hostname());
    }
    // Five branches of 1.5 s, three workers taking one at a time: every worker ran at least one branch.
    const branchPids = tries
      .filter((attempt) => attempt.task.startsWith('b'))
      .map((attempt) => attempt.process.pid);
    expect(new Set(branchPids)).toEqual(new Set(pids));
    // What the tasks themselves saw agrees with the state: each ran once, in the process the state names.
    for (const attempt of tries) expect(calls(s, attempt.task)).toEqual([attempt.process.pid]);
    // Each try's log is the worker's, with the task's own events.
    const b1 = tries.find((attempt) => attempt.task === 'b1')!;
    expect((await logEvents(b1.logPath)).map((event) => [event.kind, event['pid'] ?? null])).toEqual([
      ['task-started', b1.process.pid],
      ['notice', null],
      ['task-finished', null],
    ]);
  });

  it('retries on another worker the try of a worker killed with SIGKILL, and shows the dead worker', async (test) => {
    if (skip) test.skip();
    const s = setup();
    const workers = await Promise.all([startWorker(s), startWorker(s)]);
    const running = drive(s, killableDag, {});
    await waitFor(() => existsSync(join(s.dir, 'working-1')), 'try 1 of work to start');
    const victim = Number(readFileSync(join(s.dir, 'working-1'), 'utf8'));
    const killed = workers.find((worker) => worker.pid === victim)!;
    const survivor = workers.find((worker) => worker.pid !== victim)!;
    killed.kill('SIGKILL');
    expect((await exited(killed)).signal).toBe('SIGKILL');

    const result = await running;
    expect(result.outcome).toBe('success');
    expect(result.tasks.find((task) => task.task === 'work')?.output).toEqual({
      rewritten: 2,
      pid: survivor.pid,
    });
    const tries = await store.tries(result.runId, 'work');
    expect(
      tries.map((attempt) => [attempt.tryNumber, attempt.state, attempt.failureKind, attempt.process.pid]),
    ).toEqual([
      [1, 'failed', 'killed', victim],
      [2, 'success', undefined, survivor.pid],
    ]);
    expect(tries[0]!.error).toBe(
      `killed: process ${victim} on ${hostname()} is no longer running before try 1 of work finished`,
    );
    expect((await logEvents(tries[0]!.logPath)).map((event) => event.kind)).toEqual([
      'task-started',
      'try-marked-killed',
    ]);
    expect(calls(s, 'prepare')).toHaveLength(1);
    expect(calls(s, 'work')).toEqual([victim, survivor.pid]);

    const listed = await runCli(['--home', s.home, '--json', 'workers'], s.home);
    const rows = JSON.parse(listed.stdout) as { pid: number; state: string; dead_because?: string }[];
    expect(rows.find((row) => row.pid === victim)).toMatchObject({
      state: 'dead',
      dead_because: `process ${victim} on ${hostname()} is no longer running`,
    });
    expect(rows.find((row) => row.pid === survivor.pid)).toMatchObject({ state: 'running' });
    const table = await runCli(['--home', s.home, 'workers'], s.home);
    expect(table.stdout).toMatch(new RegExp(`${victim}\\s+dead`));
  });

  it('completes a run whose Redis lost everything mid-run: queued tries queued again, none run twice', async (test) => {
    if (skip) test.skip();
    const redis: PrivateRedis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const s = setup(redis.url);
    const workers = await Promise.all([startWorker(s), startWorker(s), startWorker(s)]);
    // Another date than the first test's run of this DAG (same database).
    const running = drive(s, fanoutDag, { branchMs: 2500 }, { logicalDate: '2025-03-02' as IsoDate });
    // Three branches running on the three workers, two waiting in Redis: then Redis loses every key.
    await waitFor(
      () => BRANCHES.filter((branch) => existsSync(join(s.dir, `running-${branch}`))).length === 3,
      'three branches to run',
      () => workers.map((worker) => worker.output()).join('\n'),
    );
    const waiting = BRANCHES.filter((branch) => !existsSync(join(s.dir, `running-${branch}`)));
    await redis.flushAll();

    const result = await running;
    expect(result.outcome).toBe('success');
    for (const task of ['start', ...BRANCHES, 'join']) {
      expect(calls(s, task), `calls of ${task}`).toHaveLength(1);
    }
    const tries = await store.tries(result.runId);
    expect(tries.map((attempt) => [attempt.task, attempt.tryNumber, attempt.state]).sort()).toEqual(
      ['b1', 'b2', 'b3', 'b4', 'b5', 'join', 'start'].map((task) => [task, 1, 'success']),
    );
    // The two branches that waited in Redis were queued again from the state; the running ones went on.
    const runLog = await logEvents(join(s.home, 'logs', result.runId, 'run.log'));
    const requeued = runLog.filter((event) => event.kind === 'try-requeued').map((event) => event['task']);
    expect(requeued.sort()).toEqual(waiting);
  });

  it('completes a run across a Redis restart (shutdown nosave, started again empty), each task run once', async (test) => {
    if (skip) test.skip();
    const redis: PrivateRedis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const s = setup(redis.url);
    await Promise.all([startWorker(s), startWorker(s), startWorker(s)]);
    const running = drive(s, fanoutDag, { branchMs: 2500 }, { logicalDate: '2025-03-03' as IsoDate });
    await waitFor(
      () => BRANCHES.filter((branch) => existsSync(join(s.dir, `running-${branch}`))).length === 3,
      'three branches to run',
    );
    await redis.restart();

    const result = await running;
    expect(result.outcome).toBe('success');
    for (const task of ['start', ...BRANCHES, 'join']) {
      expect(calls(s, task), `calls of ${task}`).toHaveLength(1);
    }
    const tries = await store.tries(result.runId);
    expect(tries.map((attempt) => [attempt.task, attempt.tryNumber, attempt.state]).sort()).toEqual(
      ['b1', 'b2', 'b3', 'b4', 'b5', 'join', 'start'].map((task) => [task, 1, 'success']),
    );
  });

  it('drains on SIGTERM: the running try finishes, no new one starts, the worker exits 0 as stopped', async (test) => {
    if (skip) test.skip();
    const s = setup();
    const first = await startWorker(s);
    const running = drive(s, drainDag, { slowMs: 3000 });
    await waitFor(() => existsSync(join(s.dir, 'running-first')), 'first to start');
    first.kill('SIGTERM');
    await waitFor(
      async () =>
        (await store.listWorkers()).some((row) => row.process.pid === first.pid && row.state === 'draining'),
      'the worker to record it drains',
    );
    expect(await exited(first)).toEqual({ code: 0, signal: null });
    expect(first.output()).toMatch(/SIGTERM: draining — 1 running try finishes, no new one starts/);

    const [run] = await store.listRuns({ dag: 'drain' });
    const states = async () =>
      (await store.taskInstances(run!.runId)).map((instance) => [instance.task, instance.state]);
    await waitFor(async () => (await states()).length === 2, 'second to be queued');
    // Queued, and with no worker left it stays so: the drained worker took nothing after its running try.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await states()).toEqual([
      ['first', 'success'],
      ['second', 'queued'],
    ]);
    expect(await store.tries(run!.runId, 'second')).toEqual([]);
    expect(calls(s, 'first')).toEqual([first.pid]);
    expect(calls(s, 'second')).toEqual([]);
    const all = await store.listWorkers({ includeStopped: true });
    expect(all.find((row) => row.process.pid === first.pid)).toMatchObject({ state: 'stopped' });

    const next = await startWorker(s);
    const result = await running;
    expect(result.outcome).toBe('success');
    expect(calls(s, 'second')).toEqual([next.pid]);
  });
});
