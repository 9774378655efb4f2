/**
 * The whole daily pipeline (issue #5): `fintech-etl run --date D` as a child process (wall time, peak RSS) for a
 * day of BENCH_PIPELINE_ROWS (default 1,000,000) generated transactions, against the bare DuckDB statement on the
 * same bronze; then day 31 on top of 30 days of history (BENCH_PIPELINE_HISTORY_ROWS per history day, default
 * the same; BENCH_PIPELINE_HISTORY_DAYS=0 skips) against day 1. On DuckDB, and on PostgreSQL when it is
 * reachable (BENCH_PIPELINE_ENGINES=duckdb,postgres).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addDays, type IsoDate } from '../src/core/dates.ts';
import { createTestDatabase } from '../test/helpers/postgres-test-database.ts';
import { measureBareStatement } from './lib/bare-statement.ts';
import { measureCommand } from './lib/measure-command.ts';
import type { Benchmark } from './run.ts';

const ROWS = Number(process.env['BENCH_PIPELINE_ROWS'] ?? 1_000_000);
const HISTORY_DAYS = Number(process.env['BENCH_PIPELINE_HISTORY_DAYS'] ?? 30);
const HISTORY_ROWS = Number(process.env['BENCH_PIPELINE_HISTORY_ROWS'] ?? ROWS);
const ENGINES = (process.env['BENCH_PIPELINE_ENGINES'] ?? 'duckdb,postgres').split(',');
const CLI = fileURLToPath(new URL('../bin/fintech-etl', import.meta.url));
const DAY1 = '2025-03-01' as IsoDate;

/** The run summary's task lines (`OK   models   12.34s …`), so a figure's growth shows where it comes from. */
function printTasks(stdout: string): void {
  for (const line of stdout.split('\n')) {
    if (/^\s+(OK|FAIL|SKIP)\s/.test(line)) console.log(`    ${line.trim().slice(0, 110)}`);
  }
}

function cli(home: string, args: string[]): void {
  const result = spawnSync(CLI, ['--home', home, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`fintech-etl ${args.join(' ')} failed: ${result.stderr}`);
}

async function benchEngine(engine: string): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), `bench-pipeline-${engine}-`));
  const database = engine === 'postgres' ? await createTestDatabase() : undefined;
  writeFileSync(join(home, 'fintech-etl.yaml'), database ? `warehouse: ${database.url}\n` : '');
  try {
    cli(home, ['generate', '--from', DAY1, '--rows', String(ROWS)]);
    const bare = await measureBareStatement(
      join(home, 'lake', 'bronze', 'transactions', `ingest_date=${DAY1}`),
    );
    const day1 = measureCommand(CLI, ['--home', home, 'run', '--date', DAY1]);
    console.log(
      `${engine}: day 1, ${ROWS.toLocaleString()} transactions: run ${day1.seconds.toFixed(1)} s, ` +
        `cpu ${day1.cpuSeconds.toFixed(1)} s (peak RSS ${day1.peakRssMb.toFixed(0)} MB), bare DuckDB statement ${bare.seconds.toFixed(1)} s, ` +
        `cpu ${bare.cpuSeconds.toFixed(1)} s → ${(day1.seconds / bare.seconds).toFixed(2)}× (target ≤ 2.5× on DuckDB; ` +
        `cpu ${(day1.cpuSeconds / bare.cpuSeconds).toFixed(2)}×)`,
    );
    printTasks(day1.stdout);
    if (HISTORY_DAYS <= 0) return;
    const lastHistoryDay = addDays(DAY1, HISTORY_DAYS - 1);
    cli(home, [
      'generate',
      '--from',
      addDays(DAY1, 1),
      '--to',
      lastHistoryDay,
      '--rows',
      String(HISTORY_ROWS),
    ]);
    for (let day = 1; day < HISTORY_DAYS; day++) cli(home, ['run', '--date', addDays(DAY1, day)]);
    const day31 = addDays(DAY1, HISTORY_DAYS);
    cli(home, ['generate', '--from', day31, '--rows', String(ROWS)]);
    const last = measureCommand(CLI, ['--home', home, 'run', '--date', day31]);
    console.log(
      `${engine}: day ${HISTORY_DAYS + 1} on top of ${HISTORY_DAYS} days × ${HISTORY_ROWS.toLocaleString()}: ` +
        `run ${last.seconds.toFixed(1)} s, cpu ${last.cpuSeconds.toFixed(1)} s (peak RSS ${last.peakRssMb.toFixed(0)} MB) → ` +
        `${(last.seconds / day1.seconds).toFixed(2)}× day 1 (target ≤ 1.3×; cpu ${(last.cpuSeconds / day1.cpuSeconds).toFixed(2)}×)`,
    );
    printTasks(last.stdout);
  } finally {
    await database?.drop();
    // A 31-day DuckDB home holds several GB: never left behind in /tmp.
    await rm(home, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  title: 'daily pipeline end to end: run --date vs the bare DuckDB statement; day 31 vs day 1',
  async run() {
    for (const engine of ENGINES) await benchEngine(engine);
  },
};
