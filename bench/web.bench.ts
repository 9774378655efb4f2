/**
 * The web app (issue #24) on a lake of BENCH_WEB_DAYS (default 30) days × BENCH_WEB_ROWS (default 100,000)
 * generated transactions and a year of run state (lib/bench-run-state.ts, when the home holds none):
 * per page, its data endpoint's median and p95 over BENCH_WEB_REQUESTS (default 50) warm
 * requests, with and without filters, CPU ms per request and the response's size (targets: median < 200 ms,
 * p95 < 500 ms, every response < 500 kB); the first request after start (the marts loaded into memory); and each
 * page rendered in Chromium from a cold browser cache until its charts and tables are drawn (target < 1.5 s).
 *
 * Building the lake takes minutes (`fintech-etl demo`), so it is kept in <tmp>/fintech-etl-web-bench/<days>x<rows>
 * and reused by the next run; BENCH_WEB_HOME points at another fintech-etl home instead.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load-config.ts';
import type { IsoDate } from '../src/core/dates.ts';
import { openLake } from '../src/lake/open-lake.ts';
import { startWebServer } from '../src/web/start-web-server.ts';
import { browserSkipReason, launchChromium, openPage } from '../test/helpers/browser.ts';
import { fillRunState } from './lib/bench-run-state.ts';
import type { Benchmark } from './run.ts';

const DAYS = Number(process.env['BENCH_WEB_DAYS'] ?? 30);
const ROWS = Number(process.env['BENCH_WEB_ROWS'] ?? 100_000);
const REQUESTS = Number(process.env['BENCH_WEB_REQUESTS'] ?? 50);
const LAST_DAY = '2025-03-30';
const CLI = fileURLToPath(new URL('../bin/fintech-etl', import.meta.url));

/** Each page's data endpoint as it opens, and with filters a user sets. */
const ENDPOINTS = [
  '/api/overview',
  '/api/overview?date=2025-03-16',
  '/api/sales',
  '/api/sales?category=grocery&channel=pos',
  '/api/customers',
  '/api/customers?segment=Champions',
  '/api/fraud',
  '/api/fraud?country=KR&channel=online',
  '/api/merchants',
  '/api/merchants?sort=merchant_name&dir=asc&page=7',
  '/api/merchants?q=inc&category=travel',
  '/api/data-health',
  '/api/data-health?reason=invalid_pan',
  '/api/lineage',
  '/api/pipeline',
  '/api/pipeline?from=2024-03-30&to=2025-03-30',
];
const PAGES = ['/', '/sales', '/customers', '/fraud', '/merchants', '/data-health', '/pipeline', '/lineage'];
/** Days of run state (a year, the longest range the Pipeline page shows at once). */
const STATE_DAYS = 366;

function benchHome(): string {
  if (process.env['BENCH_WEB_HOME']) return process.env['BENCH_WEB_HOME'];
  // A lake with commit logs (a folder kept from before them is refused by openLake).
  const folder = join(tmpdir(), 'fintech-etl-web-bench-v2');
  const home = join(folder, `${DAYS}x${ROWS}`);
  if (existsSync(join(home, 'lake', 'gold'))) return home;
  const building = `${home}-building`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  console.log(
    `building the lake (${DAYS} days × ${ROWS.toLocaleString()} transactions) in ${home}; minutes…`,
  );
  const started = performance.now();
  const demo = spawnSync(
    CLI,
    ['--home', building, 'demo', '--days', String(DAYS), '--rows', String(ROWS), '--to', LAST_DAY],
    { encoding: 'utf8' },
  );
  if (demo.status !== 0) throw new Error(`fintech-etl demo failed: ${demo.stderr}`);
  renameSync(building, home);
  console.log(`  built in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return home;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export const benchmark: Benchmark = {
  title: `web app: data endpoints and pages on ${DAYS} days × ${ROWS.toLocaleString()} transactions`,
  async run() {
    const home = benchHome();
    await fillRunState(home, LAST_DAY as IsoDate, STATE_DAYS);
    const config = loadConfig({ home, cwd: home, env: {} });
    const lake = await openLake(config);
    const server = await startWebServer({ config, lake, port: 0 });
    try {
      const url = (path: string) => new URL(path, server.url).toString();
      console.log('first request after start (marts read from the lake into memory):');
      for (const path of [
        '/api/overview',
        '/api/merchants',
        '/api/data-health',
        '/api/pipeline',
        '/api/lineage',
      ]) {
        const started = performance.now();
        await (await fetch(url(path))).arrayBuffer();
        console.log(`  ${path.padEnd(22)} ${(performance.now() - started).toFixed(0)} ms`);
      }
      console.log(
        `warm, ${REQUESTS} requests each: median / p95 ms, CPU ms per request (server and client), size`,
      );
      let largest = { path: '', bytes: 0 };
      // A failed run (a failure report with its checks) and a silver try's log of 80 statements.
      const grid = (await (await fetch(url('/api/pipeline'))).json()) as {
        grid: { rows: { run?: { run_id: string; state: string } }[] };
      };
      const failed = grid.grid.rows.find((row) => row.run?.state === 'failed')?.run?.run_id;
      const succeeded = grid.grid.rows.find((row) => row.run?.state === 'success')?.run?.run_id;
      const endpoints = [
        ...ENDPOINTS,
        ...(failed ? [`/api/pipeline/run?run=${failed}`] : []),
        ...(succeeded ? [`/api/pipeline/run?run=${succeeded}&task=silver&try=1`] : []),
      ];
      for (const path of endpoints) {
        for (let i = 0; i < 3; i++) await (await fetch(url(path))).arrayBuffer();
        const times: number[] = [];
        let bytes = 0;
        const cpu = process.cpuUsage();
        for (let i = 0; i < REQUESTS; i++) {
          const started = performance.now();
          const response = await fetch(url(path));
          const body = await response.arrayBuffer();
          times.push(performance.now() - started);
          if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
          bytes = body.byteLength;
        }
        const used = process.cpuUsage(cpu);
        times.sort((a, b) => a - b);
        if (bytes > largest.bytes) largest = { path, bytes };
        console.log(
          `  ${path.padEnd(70)} ${quantile(times, 0.5).toFixed(1).padStart(6)} / ${quantile(times, 0.95)
            .toFixed(1)
            .padStart(
              6,
            )} ms  cpu ${((used.user + used.system) / 1000 / REQUESTS).toFixed(1).padStart(5)} ms  ${(bytes / 1024).toFixed(1).padStart(6)} kB`,
        );
      }
      console.log(
        `largest response: ${largest.path} ${(largest.bytes / 1024).toFixed(1)} kB (target < 500 kB)`,
      );

      const skip = browserSkipReason();
      if (skip) {
        console.log(`pages in Chromium: skipped (${skip})`);
        return;
      }
      console.log(
        'each page in a fresh Chromium context (cold cache): navigation → charts and tables drawn, wall ms ' +
          "(the renderer's main-thread busy ms in brackets: steadier on a shared machine)",
      );
      const browser = await launchChromium();
      try {
        for (const path of PAGES) {
          const runs: string[] = [];
          for (let i = 0; i < 3; i++) {
            const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
            const page = await context.newPage();
            const devtools = await context.newCDPSession(page);
            await devtools.send('Performance.enable');
            const started = performance.now();
            const state = await openPage(page, url(path));
            const wall = performance.now() - started;
            if (state !== 'true') throw new Error(`${path} ended as ${state}`);
            const { metrics } = await devtools.send('Performance.getMetrics');
            const busy = (metrics.find((metric) => metric.name === 'TaskDuration')?.value ?? 0) * 1000;
            runs.push(`${wall.toFixed(0)} ms [${busy.toFixed(0)}]`);
            await context.close();
          }
          console.log(`  ${path.padEnd(14)} ${runs.join(', ')} (target < 1500 ms)`);
        }
      } finally {
        await browser.close();
      }
    } finally {
      await server.close();
    }
  },
};
