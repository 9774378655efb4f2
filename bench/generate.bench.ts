/**
 * Generator throughput and memory: `fintech-etl generate` as a child process for one day of 1M and of 5M
 * transactions, default world (20,000 customers, 2,000 merchants). Reports records/s end to end (start-up and
 * entity snapshots included), the marginal records/s between the two sizes (start-up excluded), and peak RSS,
 * which must stay flat in volume because records stream through a fixed buffer. On a shared machine wall time
 * depends on the load (printed before and after), so it also reports CPU µs per record (user + system of all
 * threads): with both cores busy, the wall-clock rate is at best 2 / (CPU µs per record) million records/s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
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
    console.log(`load average before: ${loadAverage()}`);
    const results = SIZES.map(generateOnce);
    for (const r of results) {
      console.log(
        `${r.records.toLocaleString('en-US').padStart(11)} records  ${r.seconds.toFixed(1).padStart(6)} s  ` +
          `${Math.round(r.records / r.seconds)
            .toLocaleString('en-US')
            .padStart(9)} records/s end to end  ` +
          `${r.cpuSeconds.toFixed(1).padStart(5)} CPU-s = ${microseconds(r.cpuSeconds, r.records)} CPU µs/record  ` +
          `peak RSS ${r.peakRssMb.toFixed(0)} MB`,
      );
    }
    if (results.length >= 2) {
      const [small, large] = [results[0]!, results.at(-1)!];
      const marginal = (large.records - small.records) / (large.seconds - small.seconds);
      console.log(
        `marginal: ${Math.round(marginal).toLocaleString('en-US')} records/s, ` +
          `${microseconds(large.cpuSeconds - small.cpuSeconds, large.records - small.records)} CPU µs/record ` +
          '(start-up excluded)',
      );
    }
    console.log(`load average after: ${loadAverage()}`);
  },
};

function microseconds(cpuSeconds: number, records: number): string {
  return ((cpuSeconds / records) * 1e6).toFixed(2);
}

function loadAverage(): string {
  return loadavg()
    .map((load) => load.toFixed(2))
    .join(' ');
}
