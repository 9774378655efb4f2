/**
 * The quality gate's cost against silver's on the same day (issue 23: at most 15 % of the day's silver time, in
 * one scan per dataset). BENCH_QUALITY_ROWS (default 1,000,000) transactions a day from `fintech-etl generate`
 * (the real generator: faults, late rows, entity snapshots), BENCH_QUALITY_DAYS days (default 2: day 2 has a
 * day of history, deltas in day 1's partitions and a trailing day for the relative expectations). Each day:
 * runSilver in process, then the gate on the shipped suites with the run's written files, wall and CPU seconds
 * of both, their ratio, and the statements the gate sent to DuckDB.
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
import { openLake } from '../src/lake/open-lake.ts';
import { commitQualityChanges } from '../src/quality/commit-quality-changes.ts';
import { loadSuites } from '../src/quality/load-suites.ts';
import { putQualityRecord, readQualityHistory } from '../src/quality/quality-results-store.ts';
import { runQualityGate } from '../src/quality/run-quality-gate.ts';
import { runSilver } from '../src/silver/run-silver.ts';
import type { Benchmark } from './run.ts';

const ROWS = Number(process.env['BENCH_QUALITY_ROWS'] ?? 1_000_000);
const DAYS = Number(process.env['BENCH_QUALITY_DAYS'] ?? 2);
const CLI = fileURLToPath(new URL('../bin/fintech-etl', import.meta.url));
const DAY1 = '2025-03-01' as IsoDate;

const fmt = (seconds: number) => `${seconds.toFixed(2)} s`;
const percent = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)} %`;

export const benchmark: Benchmark = {
  title: 'quality gate: the shipped suites vs silver on the same day',
  async run() {
    const home = mkdtempSync(join(tmpdir(), 'bench-quality-'));
    try {
      writeFileSync(join(home, 'fintech-etl.yaml'), 'lake: lake\n');
      const config = loadConfig({ home, cwd: home, env: {} });
      const last = addDays(DAY1, DAYS - 1);
      const generated = spawnSync(
        CLI,
        ['--home', home, 'generate', '--from', DAY1, '--to', last, '--rows', String(ROWS)],
        {
          encoding: 'utf8',
        },
      );
      if (generated.status !== 0) throw new Error(`fintech-etl generate failed: ${generated.stderr}`);
      const suites = loadSuites(config.qualitySuitesDir);
      const lake = await openLake(config);
      for (let day = 0; day < DAYS; day++) {
        const date = addDays(DAY1, day);
        const runId = `bench-${date}`;
        const silver = await measure(() => runSilver({ config, lake, ingestDate: date, runId }));
        const gate = await measure(async () =>
          runQualityGate({
            lake,
            ingestDate: date,
            runId,
            suites,
            writtenFiles: silver.result.writtenFiles,
            ledger: silver.result.ledger,
            history: await readQualityHistory(lake, date, 7),
            duckdb: { memoryLimit: config.silver.memory_limit, threads: config.silver.threads },
          }),
        );
        await commitQualityChanges(lake, runId, async () => [
          await putQualityRecord(lake, { ...gate.result, accepted: false }),
        ]);
        const { queries, datasets, batch, outcome, results } = gate.result;
        const transactions = datasets.find((dataset) => dataset.dataset === 'transactions')!;
        console.log(
          `day ${day + 1} (${date}): ${transactions.rows.toLocaleString()} transactions in ${batch.transactionFiles.length} files ` +
            `(${silver.result.writtenFiles.length} written by the run), ${results.length} results, gate ${outcome}`,
        );
        console.log(`  silver   ${fmt(silver.seconds)}   cpu ${fmt(silver.cpuSeconds)}`);
        console.log(
          `  quality  ${fmt(gate.seconds)}   cpu ${fmt(gate.cpuSeconds)}   = ${percent(gate.seconds, silver.seconds)} of silver ` +
            `(cpu ${percent(gate.cpuSeconds, silver.cpuSeconds)}; target ≤ 15 %)`,
        );
        console.log(
          `  queries  ${queries.total} statements: ${queries.scans} scans (one per dataset), ${queries.samples} sample ` +
            `queries, ${queries.total - queries.scans - queries.samples} others (version index partitions, column lists)`,
        );
      }
      await lake.close();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  },
};
