/**
 * Retries of the daily DAG through the real binary: a task that fails twice and then succeeds is retried with
 * its declared backoff (from the config's `orchestrator.tasks` overrides) and the state shows its three tries
 * with their logs; a warehouse that cannot be opened when the run starts (the DuckDB file held by another
 * program; a PostgreSQL port nothing listens on yet) and comes back within the retry window ends in success.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import type { IsoDate } from '../../src/core/dates.ts';
import { generateBronze } from '../../src/generate/generate-bronze.ts';
import { openLake } from '../../src/lake/open-lake.ts';
import { readEventLog } from '../../src/orchestrator/execution/event-log.ts';
import { SqliteStateStore } from '../../src/orchestrator/state/sqlite/sqlite-state-store.ts';
import type { TryRecord } from '../../src/orchestrator/state/state-store.ts';
import { testSettings } from '../helpers/lake-files.ts';
import { END_TO_END_SETUP_MS } from '../helpers/pipeline-harness.ts';
import {
  createTestDatabase,
  POSTGRES_ADMIN_URL,
  postgresSkipReason,
  type TestDatabase,
} from '../helpers/postgres-test-database.ts';
import { exited, spawnHelper, waitForFile } from './helpers/child-process.ts';
import { type CliHome, createCliHome } from './helpers/cli-home.ts';

const DAY = '2025-03-01' as IsoDate;
const SETTINGS = testSettings({ rowsPerDay: 600, customers: 150, merchants: 40 });
const postgresSkip = await postgresSkipReason();
const databases: TestDatabase[] = [];
const homes: CliHome[] = [];

afterAll(async () => {
  for (const home of homes) home.remove();
  for (const database of databases) await database.drop();
});

async function homeWithBronze(options: { warehouseUrl?: string; yaml: string }): Promise<CliHome> {
  const home = createCliHome(options);
  homes.push(home);
  const lake = await openLake(loadConfig({ home: home.home, cwd: home.home, env: {} }));
  await generateBronze({ lake, settings: SETTINGS, from: DAY, to: DAY });
  await lake.close();
  return home;
}

async function triesOf(home: CliHome, task: string): Promise<TryRecord[]> {
  const store = new SqliteStateStore(join(home.home, 'state.db'));
  try {
    const [run] = await store.listRuns({ logicalDate: DAY });
    return run ? await store.tries(run.runId, task) : [];
  } finally {
    await store.close();
  }
}

/** Polls the state until `task` has a failed try: the run is inside its retry window. */
async function untilTryFailed(home: CliHome, task: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(join(home.home, 'state.db'))) {
      if ((await triesOf(home, task)).some((attempt) => attempt.state === 'failed')) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no failed try of ${task} within ${timeoutMs} ms`);
}

for (const engine of ['duckdb', 'postgres'] as const) {
  describe.skipIf(engine === 'postgres' && postgresSkip)(`retries of the daily DAG (${engine})`, () => {
    let warehouseUrl: string | undefined;
    beforeAll(async () => {
      if (engine === 'postgres') {
        const database = await createTestDatabase();
        databases.push(database);
        warehouseUrl = database.url;
      }
    });

    it(
      'retries a task that fails twice with its exponential backoff; the state shows three tries with logs',
      async () => {
        const home = await homeWithBronze({
          warehouseUrl,
          yaml: 'orchestrator:\n  tasks:\n    models: { retries: 2, retry_delay: 0.2, backoff: exponential }',
        });
        const run = await home.cli(['run', '--date', DAY], { FINTECH_ETL_FAIL_TASK: 'models:2' });
        expect(run.status, run.stderr).toBe(0);
        expect(run.stdout).toMatch(/OK {3}models .* 3 tries/);
        const tries = await triesOf(home, 'models');
        expect(tries.map((attempt) => [attempt.tryNumber, attempt.state])).toEqual([
          [1, 'failed'],
          [2, 'failed'],
          [3, 'success'],
        ]);
        expect(tries[0]!.error).toBe('injected failure (FINTECH_ETL_FAIL_TASK) in try 1 of models');
        const delays = [];
        for (const attempt of tries) {
          const events = (await readEventLog(attempt.logPath)).events;
          expect(events[0]).toMatchObject({
            kind: 'task-started',
            task: 'models',
            tryNumber: attempt.tryNumber,
          });
          expect(events.find((event) => event.kind === 'task-finished')).toMatchObject({
            status: attempt.state,
          });
          const retry = events.find((event) => event.kind === 'retry-scheduled');
          if (retry) delays.push(retry['delaySeconds']);
        }
        expect(delays).toEqual([0.2, 0.4]);
        // The retried task really ran: the last try built every model.
        expect((await triesOf(home, 'tests')).map((attempt) => attempt.state)).toEqual(['success']);
      },
      END_TO_END_SETUP_MS,
    );

    it(
      'succeeds when the warehouse cannot be opened as the run starts and comes back within the retry window',
      async () => {
        const retries =
          'orchestrator:\n  tasks:\n    quality: { retries: 30, retry_delay: 0.5, backoff: none }';
        if (engine === 'duckdb') {
          const home = await homeWithBronze({ yaml: retries });
          const marker = join(home.home, 'held');
          const release = join(home.home, 'release');
          const holder = spawnHelper('./duckdb-holder.ts', [
            join(home.home, 'warehouse.duckdb'),
            marker,
            release,
          ]);
          await waitForFile(marker, holder);
          const running = home.start(['run', '--date', DAY]);
          await untilTryFailed(home, 'quality');
          writeFileSync(release, '');
          expect((await exited(holder)).code).toBe(0);
          const run = await running.done;
          expect(run.status, run.stderr).toBe(0);
          expect(run.stderr).toMatch(
            /the warehouse is not reachable yet \(cannot open DuckDB warehouse .*lock/i,
          );
          const tries = await triesOf(home, 'quality');
          expect(tries.at(-1)!.state).toBe('success');
          expect(tries[0]!.error).toMatch(/cannot open DuckDB warehouse .*warehouse\.duckdb.*lock/i);
          return;
        }
        // PostgreSQL on a port where nothing listens yet: connections are refused until a proxy to the real
        // server starts listening there.
        const port = await freePort();
        const url = warehouseUrl!.replace(/@[^/]+\//, `@127.0.0.1:${port}/`);
        const home = await homeWithBronze({ warehouseUrl: url, yaml: retries });
        const running = home.start(['run', '--date', DAY]);
        await untilTryFailed(home, 'quality');
        const proxy = await proxyTo(port, new URL(POSTGRES_ADMIN_URL));
        try {
          const run = await running.done;
          expect(run.status, run.stderr).toBe(0);
          expect(run.stderr).toMatch(
            /the warehouse is not reachable yet \(cannot connect to postgres warehouse/,
          );
          const tries = await triesOf(home, 'quality');
          expect(tries[0]!.error).toMatch(
            new RegExp(`cannot connect to postgres warehouse at host 127.0.0.1, port ${port}`),
          );
          expect(tries.at(-1)!.state).toBe('success');
        } finally {
          await new Promise((resolve) => proxy.close(resolve));
        }
      },
      END_TO_END_SETUP_MS,
    );
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A TCP proxy on `port` to the PostgreSQL server. */
async function proxyTo(port: number, target: URL): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  const close = server.close.bind(server);
  server.close = ((callback?: (error?: Error) => void) => {
    for (const socket of sockets) socket.destroy();
    return close(callback);
  }) as typeof server.close;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}
