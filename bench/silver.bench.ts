/**
 * Silver speed and memory (issue #3):
 *  1. one ingest day of BENCH_SILVER_ROWS (default 1,000,000) transactions: the shared bare DuckDB statement
 *     (lib/bare-statement.ts) "read bronze → deduplicate → write partitioned Parquet" vs runSilver on the same files (ratio), and the
 *     `fintech-etl run` CLI as a child process (wall time, peak RSS);
 *  2. history: day 1 vs day 31 after 30 days of history (BENCH_SILVER_HISTORY_ROWS per day, default 200,000;
 *     0 skips);
 *  3. BENCH_SILVER_BIG_ROWS (default 5,000,000; 0 skips) rows in one day through the CLI with memory_limit 1GB
 *     for silver and the DuckDB warehouse (its default).
 * BENCH_SILVER_ROWS=0 skips 1; BENCH_SILVER_SKIP_CLI=1 skips the child-process run of 1; BENCH_SILVER_SOURCES
 * (default "synthetic,generated") picks the bronze of 1: DuckDB-made rows and/or `fintech-etl generate`'s.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load-config.ts';
import { addDays, type IsoDate } from '../src/core/dates.ts';
import { measure } from '../src/core/stopwatch.ts';
import type { Lake } from '../src/lake/lake.ts';
import { openLake } from '../src/lake/open-lake.ts';
import { runSilver } from '../src/silver/run-silver.ts';
import { measureBareStatement } from './lib/bare-statement.ts';
import { writeBenchBronze } from './lib/bench-bronze.ts';
import { measureCommand } from './lib/measure-command.ts';
import type { Benchmark } from './run.ts';

const ROWS = Number(process.env['BENCH_SILVER_ROWS'] ?? 1_000_000);
const HISTORY_ROWS = Number(process.env['BENCH_SILVER_HISTORY_ROWS'] ?? 200_000);
const BIG_ROWS = Number(process.env['BENCH_SILVER_BIG_ROWS'] ?? 5_000_000);
const SOURCES = (process.env['BENCH_SILVER_SOURCES'] ?? 'synthetic,generated').split(',') as BronzeSource[];
const CLI = fileURLToPath(new URL('../bin/fintech-etl', import.meta.url));
const DAY1 = '2025-03-01' as IsoDate;

async function createHome(memoryLimit = '1GB') {
  const home = mkdtempSync(join(tmpdir(), 'bench-silver-'));
  writeFileSync(join(home, 'fintech-etl.yaml'), `lake: lake\nsilver:\n  memory_limit: ${memoryLimit}\n`);
  const config = loadConfig({ home, cwd: home, env: {} });
  return { home, config, lake: await openLake(config) };
}

/** The folder of the bench's bronze partition (its lake is a local folder). */
const bronzeFolder = (home: string) => join(home, 'lake', 'bronze', 'transactions', `ingest_date=${DAY1}`);

const fmt = (seconds: number) => `${seconds.toFixed(2)} s`;

/** The bronze a one-day bench runs on: DuckDB-made rows (bench-bronze.ts), or the real generator's. */
type BronzeSource = 'synthetic' | 'generated';

async function writeOneDay(home: string, lake: Lake, source: BronzeSource): Promise<void> {
  if (source === 'synthetic') {
    await writeBenchBronze(lake, DAY1, ROWS);
    return;
  }
  const result = spawnSync(CLI, ['--home', home, 'generate', '--from', DAY1, '--rows', String(ROWS)], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`fintech-etl generate failed: ${result.stderr}`);
}

/**
 * One day: the shared bare statement (bench/lib/bare-statement.ts, the same one the pipeline bench uses) vs
 * runSilver in process on the same files, then the CLI as a child for peak RSS.
 */
async function oneDayBench(source: BronzeSource): Promise<void> {
  const one = await createHome();
  await writeOneDay(one.home, one.lake, source);
  const bare = await measureBareStatement(bronzeFolder(one.home));
  const {
    seconds: silverSeconds,
    cpuSeconds: silverCpu,
    result,
  } = await measure(() =>
    runSilver({ config: one.config, lake: one.lake, ingestDate: DAY1, runId: 'bench-1' }),
  );
  const { files: _files, processed_at: _at, touched_partitions, ...counts } = result.ledger;
  console.log(
    `${source} bronze, ${ROWS.toLocaleString()} rows: ${JSON.stringify({ ...counts, partitions: touched_partitions.length })}`,
  );
  console.log(`bare DuckDB statement     ${fmt(bare.seconds)}   cpu ${fmt(bare.cpuSeconds)}`);
  console.log(
    `runSilver (in process)    ${fmt(silverSeconds)}   cpu ${fmt(silverCpu)}   ratio ${(silverSeconds / bare.seconds).toFixed(2)}× ` +
      `(target ≤ 1.5×; cpu ${(silverCpu / bare.cpuSeconds).toFixed(2)}×)`,
  );
  await rm(one.home, { recursive: true, force: true });
  if (process.env['BENCH_SILVER_SKIP_CLI']) return;
  const cliHome = await createHome();
  await writeOneDay(cliHome.home, cliHome.lake, source);
  const cli = measureCommand(CLI, ['--home', cliHome.home, 'run', '--date', DAY1]);
  console.log(
    `fintech-etl run (child)   ${fmt(cli.seconds)}   peak RSS ${cli.peakRssMb.toFixed(0)} MB (target < 1536 MB)`,
  );
  await rm(cliHome.home, { recursive: true, force: true });
}

/** Day 1 vs day 31: the cost of a day must not grow with the history before it. */
async function historyBench(): Promise<void> {
  const history = await createHome();
  const days = Array.from({ length: 31 }, (_, i) => addDays(DAY1, i));
  for (const day of days) {
    await writeBenchBronze(history.lake, day, HISTORY_ROWS, { lateRate: 0.03, maxLateDays: 30 });
  }
  const perDay: number[] = [];
  const cpuPerDay: number[] = [];
  for (const day of days) {
    const figures = await measure(() =>
      runSilver({ config: history.config, lake: history.lake, ingestDate: day, runId: `bench-${day}` }),
    );
    perDay.push(figures.seconds);
    cpuPerDay.push(figures.cpuSeconds);
  }
  console.log(
    `history (${HISTORY_ROWS.toLocaleString()} rows/day, 3% late up to 30 days): day 1 ${fmt(perDay[0]!)}, ` +
      `day 2 ${fmt(perDay[1]!)}, day 31 ${fmt(perDay[30]!)} (day31/day1 ${(perDay[30]! / perDay[0]!).toFixed(2)}; ` +
      `cpu ${fmt(cpuPerDay[0]!)} → ${fmt(cpuPerDay[30]!)}, ${(cpuPerDay[30]! / cpuPerDay[0]!).toFixed(2)}×)`,
  );
  await rm(history.home, { recursive: true, force: true });
}

/** A big day through the CLI with a 1GB memory limit: memory stays bounded (DuckDB spills). */
async function bigDayBench(): Promise<void> {
  const big = await createHome('1GB');
  await writeBenchBronze(big.lake, DAY1, BIG_ROWS);
  const figures = measureCommand(CLI, ['--home', big.home, 'run', '--date', DAY1]);
  console.log(
    `${BIG_ROWS.toLocaleString()} rows via CLI (silver and warehouse memory_limit 1GB): ${fmt(figures.seconds)}, peak RSS ${figures.peakRssMb.toFixed(0)} MB`,
  );
  await rm(big.home, { recursive: true, force: true });
}

export const benchmark: Benchmark = {
  title: 'silver: bronze → silver with DuckDB',
  async run() {
    if (ROWS > 0) {
      for (const source of SOURCES) await oneDayBench(source);
    }
    if (HISTORY_ROWS > 0) await historyBench();
    if (BIG_ROWS > 0) await bigDayBench();
  },
};
