/**
 * Issue 26, optionally: queue workers on a network of their own, so the tasks cross a real network. Each
 * `fintech-etl worker` runs with `ip netns exec` in a Linux network namespace of its own (names and a /30 per test
 * process), joined to this machine by a veth pair; inside, this machine's loopback — where PostgreSQL, Redis and
 * the S3 server (fauxqs) listen — is out of reach, so the workers' config names the services at the veth's host
 * address, where TCP forwarders of this test process pass each connection on to 127.0.0.1 (test/helpers/
 * tcp-forwarder.ts says why forwarders). The driver (`fintech-etl run`) uses the same services at 127.0.0.1;
 * state and warehouse are PostgreSQL, the lake S3, and an in-process run of the same days is the reference.
 *
 * - A day of `daily_batch_etl` with `silver.check_jobs: 2` on two namespaced workers: every try ran on one of
 *   them (the state store's pids), the forwarders carried their traffic, and silver, the ledger, the warehouse
 *   and gold equal the in-process run.
 * - A worker's link is cut in the middle of a try and restored later, the process alive throughout. Its try of
 *   `silver_check_1` holds at its start (`FINTECH_ETL_PAUSE_TASK`: recorded running, heartbeats flowing) until the
 *   link is down, then goes on into a network that drops everything. The driver sees no heartbeat for
 *   `heartbeat_timeout` (5 s), records the try killed and queues try 2, which a worker in the other namespace
 *   runs; the link comes back, the cut worker ends its try late, and the state store refuses that late end: the
 *   state keeps the killed try and the retry's success, and everything equals the in-process run.
 *
 * Skipped, saying why, where network namespaces cannot be created (no root or CAP_NET_ADMIN: a capability of the
 * kernel, not a service, so in CI too); never skipped where they can.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import type { IsoDate } from '../../src/core/dates.ts';
import { generateBronze } from '../../src/generate/generate-bronze.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { openLake } from '../../src/lake/open-lake.ts';
import { S3ObjectStore } from '../../src/lake/s3/s3-object-store.ts';
import { PostgresStateStore } from '../../src/orchestrator/state/postgres/postgres-state-store.ts';
import { PostgresWarehouse } from '../../src/warehouse/postgres/postgres-warehouse.ts';
import { testSettings } from '../helpers/lake-files.ts';
import {
  createNetworkNamespace,
  type NetworkNamespace,
  networkNamespaceSkipReason,
} from '../helpers/network-namespace.ts';
import {
  createPipelineHarness,
  END_TO_END_SETUP_MS,
  expectRunOk,
  type PipelineHarness,
} from '../helpers/pipeline-harness.ts';
import {
  createTestDatabase,
  POSTGRES_ADMIN_URL,
  postgresSkipReason,
  type TestDatabase,
} from '../helpers/postgres-test-database.ts';
import { REDIS_URL, redisSkipReason, uniqueQueue } from '../helpers/redis-test-server.ts';
import type { S3TestServer } from '../helpers/s3-test-server.ts';
import { startTcpForwarder, type TcpForwarder } from '../helpers/tcp-forwarder.ts';
import { S3_TEST_ENV, s3LakeYaml, sharedS3Server, stopSharedS3Server } from '../helpers/test-lake.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { type CliHome, createCliHome } from './helpers/cli-home.ts';
import { expectSamePipelineState } from './helpers/pipeline-state.ts';
import {
  killWorkers,
  startWorkerProcess,
  stopWorkers,
  type WorkerProcess,
} from './helpers/worker-process.ts';

const DAYS = ['2025-03-01', '2025-03-02'] as IsoDate[];
const SETTINGS = testSettings({ rowsPerDay: 1000, customers: 200, merchants: 50, entityChangeRate: 0.05 });
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
const CUT_TASK = 'silver_check_1';

const skip = networkNamespaceSkipReason() ?? (await redisSkipReason()) ?? (await postgresSkipReason());

/** A namespace and the forwarders at its host address: PostgreSQL, Redis and S3, by name. */
interface Site {
  namespace: NetworkNamespace;
  forwarders: Record<'postgres' | 'redis' | 's3', TcpForwarder>;
}

describe.skipIf(skip)('queue workers in network namespaces, across veth links', () => {
  const databases: TestDatabase[] = [];
  const homes: CliHome[] = [];
  const sites: Site[] = [];
  const running: WorkerProcess[] = [];
  let server: S3TestServer;
  let driverYaml: string;
  let driver: CliHome;
  let state: PostgresStateStore;
  let warehouse: PostgresWarehouse;
  let lake: Lake;
  let reference: PipelineHarness;
  let scratch: string;
  /** The config lines of the services, each URL through `via` (the driver's: as they are). */
  let servicesYaml: (via: (url: string, service: keyof Site['forwarders']) => string) => string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'fintech-netns-'));
    server = await sharedS3Server();
    const prefix = `netns-${process.pid}`;
    const [warehouseDb, stateDb, referenceDb] = [
      await createTestDatabase(),
      await createTestDatabase(),
      await createTestDatabase(),
    ];
    databases.push(warehouseDb, stateDb, referenceDb);
    const queue = uniqueQueue('netns');
    servicesYaml = (via) =>
      [
        `warehouse: ${via(warehouseDb.url, 'postgres')}`,
        `state: ${via(stateDb.url, 'postgres')}`,
        s3LakeYaml({ endpoint: via(server.endpoint, 's3'), bucket: server.bucket }, prefix),
        `executor: {kind: queue, redis: "${via(REDIS_URL, 'redis')}", queue: ${queue}}`,
        'silver:',
        '  check_jobs: 2',
        'orchestrator:',
        '  heartbeat_interval: 1',
        '  heartbeat_timeout: 5',
        '  tasks:',
        ...DAG_ORDER.map((task) => `    ${task}: {retry_delay: 1}`),
      ].join('\n');
    driverYaml = servicesYaml((url) => url);

    for (const index of [0, 1]) {
      const namespace = createNetworkNamespace(index);
      const site: Site = { namespace, forwarders: {} as Site['forwarders'] };
      sites.push(site);
      for (const [service, url] of [
        ['postgres', POSTGRES_ADMIN_URL],
        ['redis', REDIS_URL],
        ['s3', server.endpoint],
      ] as const) {
        site.forwarders[service] = await startTcpForwarder(namespace.hostAddress, Number(new URL(url).port));
      }
    }

    driver = createCliHome({ yaml: driverYaml });
    homes.push(driver);
    const config = loadConfig({ home: driver.home, cwd: driver.home, env: {} });
    lake = await openLake(config, {
      store: new S3ObjectStore({
        client: server.client(),
        bucket: server.bucket,
        prefix,
        encryption: { kind: 'AES256' },
      }),
    });
    state = await PostgresStateStore.open(stateDb.url);
    warehouse = await PostgresWarehouse.open(warehouseDb.url);
    reference = await createPipelineHarness({ warehouseUrl: referenceDb.url });
    for (const target of [lake, reference.lake]) {
      await generateBronze({ lake: target, settings: SETTINGS, from: DAYS[0]!, to: DAYS.at(-1)! });
    }
  }, END_TO_END_SETUP_MS);

  afterEach(() => killWorkers(running));

  afterAll(async () => {
    // The namespaces go whatever happened before: they outlive this process otherwise.
    for (const site of sites) {
      for (const forwarder of Object.values(site.forwarders)) await forwarder.close();
      site.namespace.remove();
    }
    await reference?.close();
    await lake?.close();
    await warehouse?.close();
    await state?.close();
    for (const each of homes) each.remove();
    for (const each of databases) await each.drop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    await stopSharedS3Server();
  });

  /** The services at the site's host address: its forwarders' ports, on the far side of its veth. */
  function yamlAt(site: Site): string {
    return servicesYaml((url, service) => {
      const moved = new URL(url);
      moved.hostname = site.namespace.hostAddress;
      moved.port = String(site.forwarders[service].port);
      // A bare endpoint gets no trailing slash back (the S3 client's endpoint).
      return moved.pathname === '/' && !url.endsWith('/') ? moved.toString().slice(0, -1) : moved.toString();
    });
  }

  /** `fintech-etl worker` inside the site's namespace, in a home of its own, once its row is in the state store. */
  function startWorker(site: Site, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<WorkerProcess> {
    const own = createCliHome({ yaml: yamlAt(site) });
    homes.push(own);
    return startWorkerProcess({
      home: own.home,
      args,
      env: { ...S3_TEST_ENV, ...env },
      // `ip netns exec` execs the command in place: the child's pid is the worker's.
      under: ['ip', 'netns', 'exec', site.namespace.name],
      state,
      started: (worker) => running.push(worker),
    });
  }

  async function expectSameAsInProcess(): Promise<void> {
    await expectSamePipelineState({ lake, warehouse }, reference);
  }

  async function runOf(day: IsoDate) {
    const runs = await state.listRuns({ logicalDate: day });
    expect(runs).toHaveLength(1);
    return runs[0]!;
  }

  it(
    'runs a day on two namespaced workers, every try across a veth, with the same result as in process',
    async () => {
      // Inside a namespace the machine's PostgreSQL on 127.0.0.1 is not there: only the veth leads to it.
      const pgPort = Number(new URL(POSTGRES_ADMIN_URL).port);
      expect(connectFrom(sites[0]!.namespace, '127.0.0.1', pgPort)).toBe('ECONNREFUSED');
      expect(connectFrom(sites[0]!.namespace, sites[0]!.namespace.hostAddress, pgPort)).not.toBe('connected');
      expect(
        connectFrom(sites[0]!.namespace, sites[0]!.namespace.hostAddress, sites[0]!.forwarders.postgres.port),
      ).toBe('connected');

      const workers = await Promise.all(sites.map((site) => startWorker(site)));
      const pids = workers.map((worker) => worker.pid!);
      const day = DAYS[0]!;
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
      for (const attempt of tries) expect(pids).toContain(attempt.process.pid);
      // What the workers sent went over the veths, from the namespaces' addresses: each registered and took jobs
      // through its site's forwarders, and the tries read and wrote the lake through theirs.
      for (const site of sites) {
        for (const forwarder of Object.values(site.forwarders)) {
          for (const peer of forwarder.peers) expect(peer).toBe(site.namespace.address);
        }
        expect(site.forwarders.postgres.bytes()).toBeGreaterThan(0);
        expect(site.forwarders.redis.bytes()).toBeGreaterThan(0);
      }
      expect(sites.reduce((sum, site) => sum + site.forwarders.s3.bytes(), 0)).toBeGreaterThan(100_000);
      await expectSameAsInProcess();
      await stopWorkers(workers);
    },
    END_TO_END_SETUP_MS,
  );

  it(
    "retries a try whose worker's link is cut on a worker elsewhere; the cut worker's late end is refused",
    async () => {
      const day = DAYS[1]!;
      const [cutSite, otherSite] = sites as [Site, Site];
      const pauseFile = join(scratch, 'paused');
      // It takes only the task whose try is cut, so the test knows where try 1 runs.
      const cut = await startWorker(cutSite, ['--tasks', CUT_TASK], {
        FINTECH_ETL_PAUSE_TASK: `${CUT_TASK}:1:${pauseFile}`,
      });
      const run = driver.start(['run', '--date', day], S3_TEST_ENV);
      await waitFor(async () => existsSync(pauseFile), `try 1 of ${CUT_TASK} to start`, cut.output);
      const runId = (await runOf(day)).runId;
      const cutTries = () => state.tries(runId, CUT_TASK);
      expect((await cutTries()).map((attempt) => [attempt.state, attempt.process.pid])).toEqual([
        ['running', cut.pid],
      ]);
      // Ready before the cut, in the other namespace: it takes every task, and try 1 is already taken.
      const other = await startWorker(otherSite);

      // Down first, then let the try go on: its work starts into a link that carries nothing.
      cutSite.namespace.cut();
      rmSync(pauseFile);
      await waitFor(
        async () =>
          (await cutTries()).some((attempt) => attempt.tryNumber === 2 && attempt.state === 'success'),
        `try 2 of ${CUT_TASK} to succeed on the other worker`,
        () => `${cut.output()}\n${other.output()}`,
      );
      // Cut off, it could not even record how its try went: that takes the state store, across the link.
      const lateEnd = new RegExp(`worker: ${CUT_TASK} try 1 (success|failed) in`);
      expect(cut.output()).not.toMatch(lateEnd);
      cutSite.namespace.restore();
      const restoredAt = new Date();

      const result = await run.done;
      expect(result.status, result.stderr).toBe(0);
      expectRunOk(await reference.run(day));
      // The cut worker comes back: its heartbeat reaches the state store again, and its try ends, late.
      await waitFor(
        async () =>
          (await state.listWorkers()).some(
            (row) => row.process.pid === cut.pid && row.heartbeatAt.getTime() > restoredAt.getTime(),
          ),
        'the cut worker to send a heartbeat again',
        cut.output,
      );
      await waitFor(async () => lateEnd.test(cut.output()), `the cut worker to end try 1`, cut.output);

      const recorded = await runOf(day);
      expect(recorded.state).toBe('success');
      const tries = await cutTries();
      expect(tries.map((attempt) => [attempt.state, attempt.failureKind, attempt.process.pid])).toEqual([
        ['failed', 'killed', cut.pid],
        ['success', undefined, other.pid],
      ]);
      expect(tries[0]!.error).toMatch(/^killed: process \d+ on .* has sent no heartbeat for \d+ s/);
      expect(cut.output()).toContain('its end is not recorded');
      const instance = (await state.taskInstances(runId)).find((each) => each.task === CUT_TASK);
      expect(instance).toMatchObject({ state: 'success', tryNumber: 2 });
      for (const task of DAG_ORDER.filter((name) => name !== CUT_TASK)) {
        const each = await state.tries(runId, task);
        expect(
          each.map((attempt) => [attempt.state, attempt.process.pid]),
          task,
        ).toEqual([['success', other.pid]]);
      }
      await expectSameAsInProcess();
      await stopWorkers([cut, other]);
    },
    END_TO_END_SETUP_MS,
  );
});

/** What a TCP connect from inside the namespace to host:port gives: `connected`, or the error code. */
function connectFrom(namespace: NetworkNamespace, host: string, port: number): string {
  const script =
    `const s = require('node:net').connect(${port}, '${host}');` +
    `s.setTimeout(3000, () => { console.log('ETIMEDOUT'); process.exit(0); });` +
    `s.on('connect', () => { console.log('connected'); s.destroy(); });` +
    `s.on('error', (e) => console.log(e.code));`;
  const result = spawnSync('ip', ['netns', 'exec', namespace.name, process.execPath, '-e', script], {
    encoding: 'utf8',
  });
  return result.stdout.trim();
}
