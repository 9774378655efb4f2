/**
 * Generator throughput and memory: `fintech-etl generate` as a child process for one day of 1M and of 5M
 * transactions, default world (20,000 customers, 2,000 merchants). Reports records/s end to end (start-up and
 * entity snapshots included), the marginal records/s between the two sizes (start-up excluded), and peak RSS,
 * which must stay flat in volume because records stream through a fixed buffer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureCommand } from './lib/measure-command.ts';
import type { Benchmark } from './run.ts';

const BIN = fileURLToPath(new URL('../bin/fintech-etl', import.meta.url));
const SIZES = (process.env['BENCH_GENERATE_ROWS'] ?? '1000000,5000000').split(',').map(Number);

function generateOnce(rows: number) {
  const home = mkdtempSync(join(tmpdir(), 'bench-generate-'));
  try {
    const figures = measureCommand(BIN, [
      '--home',
      home,
      '--json',
      'generate',
      '--from',
      '2025-03-01',
      '--rows',
      String(rows),
    ]);
    const records = JSON.parse(figures.stdout).dates[0].transactions.records as number;
    return { rows, records, ...figures };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  title: 'generate: synthetic transactions into bronze (one day, JSON Lines)',
  async run() {
    const results = SIZES.map(generateOnce);
    for (const r of results) {
      console.log(
        `${r.records.toLocaleString('en-US').padStart(11)} records  ${r.seconds.toFixed(1).padStart(6)} s  ` +
          `${Math.round(r.records / r.seconds)
            .toLocaleString('en-US')
            .padStart(9)} records/s end to end  ` +
          `(${Math.round(r.records / r.cpuSeconds).toLocaleString('en-US')} per CPU-second)  peak RSS ${r.peakRssMb.toFixed(0)} MB`,
      );
    }
    if (results.length >= 2) {
      const [small, large] = [results[0]!, results.at(-1)!];
      const marginal = (large.records - small.records) / (large.seconds - small.seconds);
      const marginalCpu = (large.records - small.records) / (large.cpuSeconds - small.cpuSeconds);
      console.log(
        `marginal: ${Math.round(marginal).toLocaleString('en-US')} records/s, ` +
          `${Math.round(marginalCpu).toLocaleString('en-US')} per CPU-second (start-up excluded)`,
      );
    }
  },
};
