/**
 * The control plane's own costs (issue 22), on the SQLite state file and on PostgreSQL (when reachable):
 * - `plan` over 1,100 dates (target < 1 s): reading the snapshot from the state store (runs, task instances,
 *   silver writes, freshness) and the pure planning over it, each timed, on a state holding 1,100 successful
 *   runs of a 5-task DAG with fingerprints of a 40-model project.
 * - orchestration overhead per task (target < 50 ms): a chain of BENCH_TASKS (default 40) tasks that do
 *   nothing, run by runDag — so all its time is the state writes (run and try records), the log files and the
 *   heartbeat timers — divided by the task count; and acquire + renew + release of the writer lease.
 * Wall and CPU seconds of this process (PostgreSQL's server CPU is not in it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addDays, dateRange, type IsoDate } from '../src/core/dates.ts';
import { measure } from '../src/core/stopwatch.ts';
import { defineDag } from '../src/orchestrator/definitions/dag.ts';
import { defineTask } from '../src/orchestrator/definitions/task-definition.ts';
import { acquireLease, WRITER_LEASE } from '../src/orchestrator/execution/lease.ts';
import { currentProcess } from '../src/orchestrator/execution/process-identity.ts';
import { runDag } from '../src/orchestrator/execution/run-dag.ts';
import { planDates } from '../src/orchestrator/planner/plan-dates.ts';
import { readPlanSnapshot } from '../src/orchestrator/state/plan-snapshot.ts';
import { PostgresStateStore } from '../src/orchestrator/state/postgres/postgres-state-store.ts';
import { SqliteStateStore } from '../src/orchestrator/state/sqlite/sqlite-state-store.ts';
import type { ProjectFingerprint, StateStore } from '../src/orchestrator/state/state-store.ts';
import { createTestDatabase, postgresSkipReason } from '../test/helpers/postgres-test-database.ts';
import type { Benchmark } from './run.ts';

const DATES = 1100;
const TASKS = Number(process.env['BENCH_TASKS'] ?? 40);
const FIRST = '2022-01-01' as IsoDate;
const ORDER = ['silver', 'load', 'models', 'tests', 'gold'];

function project(version: number): ProjectFingerprint {
  const models = Object.fromEntries(
    Array.from({ length: 40 }, (_, i) => [`model_${i}`, i < 3 ? `v${version}-${i}` : `stable-${i}`]),
  );
  return { hash: `p${version}`, models };
}

/** 1,100 successful runs, the first half built with an older project, each with 5 tasks and 2 silver writes. */
async function fillState(store: StateStore): Promise<void> {
  const me = currentProcess('bench');
  for (const [index, date] of dateRange(FIRST, addDays(FIRST, DATES - 1)).entries()) {
    const runId = `run-${date}`;
    const at = new Date(Date.UTC(2025, 0, 1) + index * 60_000);
    await store.createRun({
      runId,
      dag: 'daily',
      logicalDate: date,
      state: 'running',
      trigger: 'backfill',
      conf: {},
      startedAt: at,
      process: me,
      facts: {
        bronzeFingerprints: { transactions: `tx-${date}`, customers: `c-${date}` },
        projectFingerprint: project(index < DATES / 2 ? 1 : 2),
      },
    });
    for (const task of ORDER) {
      await store.startTry({
        runId,
        task,
        tryNumber: 1,
        startedAt: at,
        process: me,
        logPath: `/logs/${runId}/${task}`,
      });
      await store.finishTry(runId, task, 1, {
        state: 'success',
        output: { rows: 1000, task },
        finishedAt: at,
      });
    }
    await store.recordSilverWrites(
      runId,
      [date, addDays(date, -1)].map((partitionDate) => ({ dataset: 'transactions', partitionDate })),
      at,
    );
    await store.recordMartsBuilt(runId, [date, addDays(date, -1)], at);
    await store.updateRun(runId, { state: 'success', finishedAt: at });
  }
}

async function benchPlan(name: string, store: StateStore): Promise<void> {
  const dates = dateRange(FIRST, addDays(FIRST, DATES - 1));
  const bronze = new Map(
    dates.map((date, i) => [
      date,
      {
        transactions: { fingerprint: i % 100 === 0 ? 'changed' : `tx-${date}`, rows: 100_000 },
        customers: { fingerprint: `c-${date}`, rows: 20_000 },
      },
    ]),
  );
  for (let round = 0; round < 3; round++) {
    const read = await measure(() => readPlanSnapshot(store, 'daily', dates[0]!, dates[dates.length - 1]!));
    const planned = await measure(async () =>
      planDates({
        dag: { name: 'daily', order: ORDER },
        dates,
        now: new Date(),
        heartbeatTimeoutMs: 120_000,
        bronze,
        project: project(2),
        ...read.result,
      }),
    );
    const statuses = new Map<string, number>();
    for (const entry of planned.result) statuses.set(entry.status, (statuses.get(entry.status) ?? 0) + 1);
    console.log(
      `${name}: plan over ${DATES} dates: read ${read.seconds.toFixed(3)} s (cpu ${read.cpuSeconds.toFixed(3)}) + ` +
        `plan ${planned.seconds.toFixed(3)} s (cpu ${planned.cpuSeconds.toFixed(3)}) = ` +
        `${(read.seconds + planned.seconds).toFixed(3)} s; ${read.result.runs.length} runs, ` +
        `${read.result.taskInstances.length} task instances; ${[...statuses].map(([s, n]) => `${n} ${s}`).join(', ')}`,
    );
  }
}

async function benchTasks(name: string, store: StateStore, logsDir: string): Promise<void> {
  const tasks = Array.from({ length: TASKS }, (_, i) =>
    defineTask({
      name: `t${i}`,
      dependsOn: i ? [`t${i - 1}`] : [],
      run: async ({ upstream }) => ({ index: i, previous: upstream }),
    }),
  );
  const dag = defineDag({ name: 'overhead', tasks });
  for (let round = 0; round < 3; round++) {
    const measured = await measure(() =>
      runDag({ dag, store, logicalDate: addDays('2030-01-01' as IsoDate, round), logsDir }),
    );
    if (measured.result.outcome !== 'success') throw new Error(`bench run failed: ${measured.result.error}`);
    console.log(
      `${name}: ${TASKS} no-op tasks in ${measured.seconds.toFixed(3)} s: ` +
        `${((measured.seconds * 1000) / TASKS).toFixed(1)} ms per task (cpu ${((measured.cpuSeconds * 1000) / TASKS).toFixed(1)} ms)`,
    );
  }
  const leases = 50;
  const lease = await measure(async () => {
    for (let i = 0; i < leases; i++) {
      const held = await acquireLease({ store, name: WRITER_LEASE });
      await store.renewLease(WRITER_LEASE, held.record.token, new Date(), 60_000);
      await held.release();
    }
  });
  console.log(
    `${name}: writer lease acquire + renew + release: ${((lease.seconds * 1000) / leases).toFixed(1)} ms ` +
      `(cpu ${((lease.cpuSeconds * 1000) / leases).toFixed(1)} ms)`,
  );
}

export const benchmark: Benchmark = {
  title: 'control plane: plan over 1,100 dates, orchestration overhead per task',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'bench-plan-'));
    try {
      const sqlite = new SqliteStateStore(join(dir, 'state.db'));
      await fillState(sqlite);
      await benchPlan('sqlite', sqlite);
      await benchTasks('sqlite', sqlite, join(dir, 'logs'));
      await sqlite.close();

      if (await postgresSkipReason()) return;
      const database = await createTestDatabase();
      try {
        // Filling 1,100 runs commits ~13,000 times; skip the WAL flush for the fill only.
        const filler = await PostgresStateStore.open(`${database.url}?options=-c%20synchronous_commit%3Doff`);
        await fillState(filler);
        await filler.close();
        const postgres = await PostgresStateStore.open(database.url);
        await benchPlan('postgres', postgres);
        await benchTasks('postgres', postgres, join(dir, 'logs-pg'));
        await postgres.close();
      } finally {
        await database.drop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
