/**
 * The control plane around the fintech DAG (issue 22), in this process, on DuckDB:
 * - a BENCH_CONTROL_ROWS (default 1,000,000) row day through `daily_batch_etl` (state store, per-try logs,
 *   writer lease and warehouse lock, recorded outputs, audit.runs mirror) against the same day through the
 *   straight script (`lib/straight-daily-run.ts`: the same steps in memory, nothing recorded), each on its own
 *   copy of the same bronze, in the same bench run, in both orders. CPU seconds of the process (DuckDB's threads
 *   included) are the figure that holds up on a shared machine; the difference, per task, is the orchestration's
 *   cost for a real run.
 * - `plan` over 1,100 dates as the command computes it (`planRange`): the state store's snapshot of 1,100
 *   successful runs, the lake's bronze of 1,100 dates (one snapshot per dataset), the model project's
 *   fingerprint, and the pure planning.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDailyRunner } from '../pipeline/dag/daily-runner.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { addDays, dateRange, type IsoDate } from '../src/core/dates.ts';
import { measure } from '../src/core/stopwatch.ts';
import { commitBronzePartition, createStagingDir } from '../src/lake/bronze-partition.ts';
import type { Lake } from '../src/lake/lake.ts';
import { openLake } from '../src/lake/open-lake.ts';
import { loadProject } from '../src/models/project/load-project.ts';
import { currentProcess } from '../src/orchestrator/execution/process-identity.ts';
import { planRange } from '../src/orchestrator/plan-range.ts';
import { fingerprintProject } from '../src/orchestrator/planner/project-fingerprint.ts';
import { SqliteStateStore } from '../src/orchestrator/state/sqlite/sqlite-state-store.ts';
import { loadSuites } from '../src/quality/load-suites.ts';
import { openWarehouse } from '../src/warehouse/open-warehouse.ts';
import { writeBenchBronze } from './lib/bench-bronze.ts';
import { runDaily } from './lib/straight-daily-run.ts';
import type { Benchmark } from './run.ts';

const ROWS = Number(process.env['BENCH_CONTROL_ROWS'] ?? 1_000_000);
const PLAN_DATES = 1100;
const DAY = '2025-03-01' as IsoDate;
const TASKS = 6;

interface Home {
  dir: string;
  lake: Lake;
  config: ReturnType<typeof loadConfig>;
}

async function homeWithBronze(rows: number): Promise<Home> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-control-'));
  writeFileSync(join(dir, 'fintech-etl.yaml'), '');
  const config = loadConfig({ home: dir, cwd: dir, env: {} });
  const lake = await openLake(config);
  await writeBenchBronze(lake, DAY, rows);
  return { dir, lake, config };
}

/** Opening and closing the warehouse are part of both runs: closing DuckDB checkpoints what the run wrote. */
async function straightRun(home: Home) {
  const measured = await measure(async () => {
    const warehouse = await openWarehouse(home.config, { env: {} });
    try {
      return await runDaily({
        config: home.config,
        lake: home.lake,
        warehouse,
        logicalDate: DAY,
        acceptQualityFailures: true,
      });
    } finally {
      await warehouse.close();
    }
  });
  if (!measured.result.ok) throw new Error(`straight run failed: ${JSON.stringify(measured.result.tasks)}`);
  return measured;
}

async function dagRun(home: Home) {
  const store = new SqliteStateStore(join(home.dir, 'state.db'));
  const runner = createDailyRunner({
    config: home.config,
    lake: home.lake,
    store,
    suites: loadSuites(home.config.qualitySuitesDir),
    openWarehouse: (events) => openWarehouse(home.config, { env: {}, events }),
    acceptQualityFailures: true,
    logsDir: join(home.dir, 'logs'),
  });
  try {
    // runDate lets go of (closes) the warehouse when the date ends.
    const measured = await measure(() => runner.runDate(DAY));
    if (measured.result.outcome !== 'success') throw new Error(`DAG run failed: ${measured.result.error}`);
    return measured;
  } finally {
    await runner.close();
    await store.close();
  }
}

async function benchRatio(): Promise<void> {
  // Warm-up, not measured: the first run of a process pays for loading modules and compiling code.
  for (const kind of ['straight', 'dag'] as const) {
    const home = await homeWithBronze(1000);
    try {
      await (kind === 'dag' ? dagRun(home) : straightRun(home));
    } finally {
      await home.lake.close();
      rmSync(home.dir, { recursive: true, force: true });
    }
  }
  for (const order of [
    ['straight', 'dag'],
    ['dag', 'straight'],
  ] as const) {
    const figures: Record<string, { seconds: number; cpuSeconds: number }> = {};
    for (const kind of order) {
      const home = await homeWithBronze(ROWS);
      try {
        const measured = kind === 'dag' ? await dagRun(home) : await straightRun(home);
        figures[kind] = measured;
      } finally {
        await home.lake.close();
        rmSync(home.dir, { recursive: true, force: true });
      }
    }
    const dag = figures['dag']!;
    const straight = figures['straight']!;
    console.log(
      `run --date of ${ROWS.toLocaleString()} rows (${order.join(' then ')}): DAG ${dag.seconds.toFixed(1)} s ` +
        `(cpu ${dag.cpuSeconds.toFixed(2)} s), straight ${straight.seconds.toFixed(1)} s (cpu ${straight.cpuSeconds.toFixed(2)} s) → ` +
        `${(dag.cpuSeconds / straight.cpuSeconds).toFixed(3)}× cpu, ${(dag.seconds / straight.seconds).toFixed(3)}× wall; ` +
        `difference ${(((dag.cpuSeconds - straight.cpuSeconds) * 1000) / TASKS).toFixed(0)} ms cpu per task`,
    );
  }
}

/** 1,100 dates of tiny bronze (the transactions dataset), and 1,100 successful runs of them in the state. */
async function benchPlan(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-control-plan-'));
  try {
    writeFileSync(join(dir, 'fintech-etl.yaml'), '');
    const config = loadConfig({ home: dir, cwd: dir, env: {} });
    const lake = await openLake(config);
    const store = new SqliteStateStore(join(dir, 'state.db'));
    const dates = dateRange('2022-01-01' as IsoDate, addDays('2022-01-01' as IsoDate, PLAN_DATES - 1));
    const project = fingerprintProject(
      loadProject(config.projectDir, {
        vars: { logical_date: DAY, as_of_date: DAY, event_dates: [], silver_batch: true },
      }),
    );
    const me = currentProcess('bench');
    const fill = await measure(async () => {
      for (const [index, date] of dates.entries()) {
        const staged = await createStagingDir(lake);
        const line = `{"transaction_id":"T${index}"}\n`;
        writeFileSync(join(staged, 'part-00000.jsonl'), line);
        await commitBronzePartition(lake, 'transactions', date, staged, {
          dataset: 'transactions',
          ingest_date: date,
          rows: 1,
          files: [{ name: 'part-00000.jsonl', rows: 1, bytes: line.length, sha256: `${index}` }],
          source: { kind: 'ingest', files: [] },
        });
        const runId = `run-${date}`;
        const at = new Date(Date.UTC(2025, 0, 1) + index * 60_000);
        await store.createRun({
          runId,
          dag: 'daily_batch_etl',
          logicalDate: date,
          state: 'running',
          trigger: 'backfill',
          conf: {},
          startedAt: at,
          process: me,
          facts: { projectFingerprint: project },
        });
        for (const task of ['silver', 'quality', 'load', 'models', 'tests', 'gold']) {
          await store.startTry({
            runId,
            task,
            tryNumber: 1,
            startedAt: at,
            process: me,
            logPath: `/logs/${task}`,
          });
          await store.finishTry(runId, task, 1, {
            state: 'success',
            output: { summary: task },
            finishedAt: at,
          });
        }
        await store.recordSilverWrites(runId, [{ dataset: 'transactions', partitionDate: date }], at);
        await store.recordMartsBuilt(runId, [date], at);
        await store.updateRun(runId, { state: 'success', finishedAt: at });
      }
    });
    console.log(`plan: filled ${PLAN_DATES} bronze partitions and runs in ${fill.seconds.toFixed(1)} s`);
    for (let round = 0; round < 3; round++) {
      const planned = await measure(() =>
        planRange({
          store,
          lake,
          dag: { name: 'daily_batch_etl', order: ['silver', 'quality', 'load', 'models', 'tests', 'gold'] },
          projectDir: config.projectDir,
          from: dates[0]!,
          to: dates.at(-1)!,
          now: new Date(),
          heartbeatTimeoutMs: 120_000,
        }),
      );
      const statuses = new Map<string, number>();
      for (const plan of planned.result) statuses.set(plan.status, (statuses.get(plan.status) ?? 0) + 1);
      console.log(
        `plan over ${PLAN_DATES} dates (state + bronze snapshot + project fingerprint + planning): ` +
          `${planned.seconds.toFixed(3)} s (cpu ${planned.cpuSeconds.toFixed(3)} s); ` +
          [...statuses].map(([status, count]) => `${count} ${status}`).join(', '),
      );
    }
    await store.close();
    await lake.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  title: `control plane: ${ROWS.toLocaleString()}-row run through daily_batch_etl vs the straight script; plan over ${PLAN_DATES} dates`,
  async run() {
    // BENCH_CONTROL_ONLY=plan|ratio runs one half.
    const only = process.env['BENCH_CONTROL_ONLY'];
    if (only !== 'ratio') await benchPlan();
    if (only !== 'plan') await benchRatio();
  },
};
