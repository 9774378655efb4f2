/**
 * The fintech DAG on queue workers (issue 26) against the same days in process: `fintech-etl run --date D` for
 * BENCH_WORKERS_DAYS (default 2) generated days of BENCH_WORKERS_ROWS (default 20,000) transactions each, on a
 * PostgreSQL warehouse and PostgreSQL state and a lake folder, once with `executor: local` and once with
 * `executor: queue` and BENCH_WORKERS_PROCESSES (default 3) `fintech-etl worker` processes (shared_lake). Per
 * run: wall seconds, and CPU seconds of the driving process plus, for the queue, of every worker (from /proc
 * before and after), so what the queue costs shows as the CPU the workers add to the work itself.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addDays, type IsoDate } from '../src/core/dates.ts';
import { PostgresStateStore } from '../src/orchestrator/state/postgres/postgres-state-store.ts';
import {
  createTestDatabase,
  postgresSkipReason,
  type TestDatabase,
} from '../test/helpers/postgres-test-database.ts';
import { REDIS_URL, redisSkipReason, uniqueQueue } from '../test/helpers/redis-test-server.ts';
import { measureCommand } from './lib/measure-command.ts';
import { processCpuSeconds } from './lib/process-cpu.ts';
import type { Benchmark } from './run.ts';

const ROWS = Number(process.env['BENCH_WORKERS_ROWS'] ?? 20_000);
const DAYS = Number(process.env['BENCH_WORKERS_DAYS'] ?? 2);
const PROCESSES = Number(process.env['BENCH_WORKERS_PROCESSES'] ?? 3);
const CLI = fileURLToPath(new URL('../bin/fintech-etl', import.meta.url));
const DAY1 = '2025-03-01' as IsoDate;

/** A home with this config and the same tokenization key as every other home of the bench. */
function home(root: string, name: string, yaml: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'secrets'), { recursive: true });
  writeFileSync(join(dir, 'secrets', 'tokenization.key'), 'cd'.repeat(32), { mode: 0o600 });
  writeFileSync(join(dir, 'fintech-etl.yaml'), yaml);
  return dir;
}

function cli(dir: string, args: string[]): void {
  const result = spawnSync(CLI, ['--home', dir, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`fintech-etl ${args.join(' ')} failed: ${result.stderr}`);
}

async function runDays(label: string, dir: string, workers: ChildProcess[]): Promise<void> {
  for (let day = 0; day < DAYS; day++) {
    const date = addDays(DAY1, day);
    const before = workers.map((worker) => processCpuSeconds(worker.pid!));
    const run = measureCommand(CLI, ['--home', dir, 'run', '--date', date]);
    const workersCpu = workers.reduce(
      (sum, worker, index) => sum + processCpuSeconds(worker.pid!) - before[index]!,
      0,
    );
    console.log(
      `${label}, ${date}: ${run.seconds.toFixed(1)} s wall, ${(run.cpuSeconds + workersCpu).toFixed(1)} CPU-s` +
        (workers.length
          ? ` (driver ${run.cpuSeconds.toFixed(1)}, ${workers.length} workers ${workersCpu.toFixed(1)})`
          : ''),
    );
  }
}

export const benchmark: Benchmark = {
  title: `daily_batch_etl on ${PROCESSES} queue workers vs in process (PostgreSQL warehouse and state, Redis)`,
  async run() {
    if ((await postgresSkipReason()) || (await redisSkipReason())) return;
    const root = mkdtempSync(join(tmpdir(), 'bench-workers-'));
    const databases: TestDatabase[] = [];
    const database = async () => {
      const created = await createTestDatabase();
      databases.push(created);
      return created.url;
    };
    const workers: ChildProcess[] = [];
    try {
      const local = home(
        root,
        'local',
        `warehouse: ${await database()}\nstate: ${await database()}\nlake: ${join(root, 'local-lake')}\n`,
      );
      const stateUrl = await database();
      const queueYaml =
        `warehouse: ${await database()}\nstate: ${stateUrl}\nlake: ${join(root, 'shared-lake')}\n` +
        `executor: {kind: queue, redis: "${REDIS_URL}", queue: ${uniqueQueue('bench')}, shared_lake: true}\n`;
      const queued = home(root, 'driver', queueYaml);
      for (const dir of [local, queued]) {
        cli(dir, ['generate', '--from', DAY1, '--to', addDays(DAY1, DAYS - 1), '--rows', String(ROWS)]);
      }
      for (let index = 0; index < PROCESSES; index++) {
        const dir = home(root, `worker-${index + 1}`, queueYaml);
        workers.push(spawn(CLI, ['--home', dir, 'worker'], { stdio: 'ignore' }));
      }
      const state = await PostgresStateStore.open(stateUrl);
      try {
        while ((await state.listWorkers()).length < PROCESSES) {
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      } finally {
        await state.close();
      }

      console.log(`${DAYS} day(s) × ${ROWS.toLocaleString()} generated transactions`);
      await runDays('in process', local, []);
      await runDays(`${PROCESSES} workers`, queued, workers);
    } finally {
      for (const worker of workers) worker.kill('SIGTERM');
      await Promise.all(
        workers.map((worker) =>
          worker.exitCode === null ? new Promise((resolve) => worker.once('exit', resolve)) : undefined,
        ),
      );
      for (const each of databases) await each.drop();
      await rm(root, { recursive: true, force: true });
    }
  },
};
