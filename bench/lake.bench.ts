/**
 * The lake on object storage (issue #25): `fintech-etl run --date` of one generated day of BENCH_LAKE_ROWS
 * (default 1,000,000) transactions on a local lake and on an S3 lake (fauxqs on loopback, in a process of its
 * own whose CPU is added to the run's), in the same bench run, BENCH_LAKE_ROUNDS (default 2) times each,
 * interleaved; every run starts from a copy of the same bronze, a fresh warehouse and (S3) an empty cache, so it
 * downloads the bronze partition. Target: S3 within 1.5× the local lake.
 * With BENCH_LAKE_BASELINE=<path to another checkout's bin/fintech-etl> (e.g. main before this change,
 * extracted with `git archive`), the same run on that code path too: the local lake must be no slower.
 * CPU seconds are the steadier figure on a shared machine; wall seconds are printed beside them.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { listAll } from '../src/lake/object-store.ts';
import { S3ObjectStore } from '../src/lake/s3/s3-object-store.ts';
import { measureCommand } from './lib/measure-command.ts';
import { processCpuSeconds } from './lib/process-cpu.ts';
import type { Benchmark } from './run.ts';

const ROWS = Number(process.env['BENCH_LAKE_ROWS'] ?? 1_000_000);
const ROUNDS = Number(process.env['BENCH_LAKE_ROUNDS'] ?? 2);
const BASELINE = process.env['BENCH_LAKE_BASELINE'];
const CLI = fileURLToPath(new URL('../bin/fintech-etl', import.meta.url));
const SERVER = fileURLToPath(new URL('./lib/s3-server.ts', import.meta.url));
const DAY = '2025-03-01';
const ENV = { ...process.env, BENCH_S3_KEY_ID: 'bench', BENCH_S3_SECRET: 'bench-secret' };

type Variant = 'local' | 's3' | 'baseline';

interface Measured {
  variant: Variant;
  seconds: number;
  /** The fintech-etl process, plus the S3 server's for an S3 lake. */
  cpuSeconds: number;
  serverCpuSeconds: number;
  peakRssMb: number;
}

function s3Yaml(endpoint: string, bucket: string, prefix: string): string {
  return [
    `lake: s3://${bucket}/${prefix}`,
    's3:',
    `  endpoint: ${endpoint}`,
    '  region: us-east-1',
    '  force_path_style: true',
    '  credentials:',
    '    access_key_id: {env: BENCH_S3_KEY_ID}',
    '    secret_access_key: {env: BENCH_S3_SECRET}',
    '',
  ].join('\n');
}

function run(cli: string, home: string, args: string[]): void {
  const result = spawnSync(cli, ['--home', home, ...args], { encoding: 'utf8', env: ENV });
  if (result.status !== 0) throw new Error(`fintech-etl ${args.join(' ')} failed: ${result.stderr}`);
}

async function startServer(): Promise<{ child: ChildProcess; endpoint: string; bucket: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await new Promise<string[]>((resolve) => {
    createInterface({ input: child.stdout! }).once('line', (first) => resolve([first]));
  });
  const { endpoint, bucket } = JSON.parse(line!) as { endpoint: string; bucket: string };
  return { child, endpoint, bucket };
}

function printTasks(stdout: string): void {
  for (const line of stdout.split('\n')) {
    if (/^\s+(OK|FAIL|SKIP)\s/.test(line)) console.log(`      ${line.trim().slice(0, 110)}`);
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export const benchmark: Benchmark = {
  title: `lake: run --date of ${ROWS.toLocaleString()} transactions on a local lake vs an S3 lake (fauxqs)${BASELINE ? ' vs the baseline code path' : ''}`,
  async run() {
    const server = await startServer();
    const store = new S3ObjectStore({
      client: new S3Client({
        endpoint: server.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'bench', secretAccessKey: 'bench-secret' },
      }),
      bucket: server.bucket,
      prefix: '',
      encryption: { kind: 'AES256' },
    });
    const homes: string[] = [];
    const newHome = (yaml = '') => {
      const home = mkdtempSync(join(tmpdir(), 'bench-lake-'));
      writeFileSync(join(home, 'fintech-etl.yaml'), yaml);
      homes.push(home);
      return home;
    };
    try {
      // The bronze of the day, once per layout; every measured run starts from a copy of it.
      const localTemplate = newHome();
      run(CLI, localTemplate, ['generate', '--from', DAY, '--rows', String(ROWS)]);
      const s3Template = newHome(s3Yaml(server.endpoint, server.bucket, 'template'));
      run(CLI, s3Template, ['generate', '--from', DAY, '--rows', String(ROWS)]);
      const baselineTemplate = BASELINE ? newHome() : undefined;
      if (BASELINE && baselineTemplate)
        run(BASELINE, baselineTemplate, ['generate', '--from', DAY, '--rows', String(ROWS)]);

      let copies = 0;
      const fresh = async (variant: Variant): Promise<string> => {
        if (variant === 's3') {
          const prefix = `run-${++copies}`;
          for await (const object of listAll(store, 'template/'))
            await store.copy(object.key, `${prefix}/${object.key.slice('template/'.length)}`);
          return newHome(s3Yaml(server.endpoint, server.bucket, prefix));
        }
        const home = newHome();
        cpSync(join(variant === 'local' ? localTemplate : baselineTemplate!, 'lake'), join(home, 'lake'), {
          recursive: true,
        });
        return home;
      };

      const variants: Variant[] = BASELINE ? ['local', 's3', 'baseline'] : ['local', 's3'];
      const measured: Measured[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        for (const variant of variants) {
          const home = await fresh(variant);
          const serverBefore = processCpuSeconds(server.child.pid!);
          const figures = measureCommand(
            variant === 'baseline' ? BASELINE! : CLI,
            ['--home', home, 'run', '--date', DAY],
            ENV,
          );
          const serverCpuSeconds = variant === 's3' ? processCpuSeconds(server.child.pid!) - serverBefore : 0;
          measured.push({
            variant,
            seconds: figures.seconds,
            cpuSeconds: figures.cpuSeconds + serverCpuSeconds,
            serverCpuSeconds,
            peakRssMb: figures.peakRssMb,
          });
          console.log(
            `  round ${round} ${variant.padEnd(8)} run ${figures.seconds.toFixed(1)} s, cpu ${(figures.cpuSeconds + serverCpuSeconds).toFixed(1)} s` +
              (variant === 's3' ? ` (S3 server ${serverCpuSeconds.toFixed(1)} s of it)` : '') +
              `, peak RSS ${figures.peakRssMb.toFixed(0)} MB`,
          );
          printTasks(figures.stdout);
          await rm(home, { recursive: true, force: true });
        }
      }
      const of = (variant: Variant) => measured.filter((figure) => figure.variant === variant);
      const summary = (variant: Variant) => ({
        seconds: median(of(variant).map((figure) => figure.seconds)),
        cpu: median(of(variant).map((figure) => figure.cpuSeconds)),
      });
      const local = summary('local');
      const s3 = summary('s3');
      console.log(
        `medians: local ${local.seconds.toFixed(1)} s (cpu ${local.cpu.toFixed(1)} s), S3 ${s3.seconds.toFixed(1)} s ` +
          `(cpu ${s3.cpu.toFixed(1)} s) → S3/local ${(s3.seconds / local.seconds).toFixed(2)}× wall, ` +
          `${(s3.cpu / local.cpu).toFixed(2)}× cpu (target ≤ 1.5×)`,
      );
      if (BASELINE) {
        const baseline = summary('baseline');
        console.log(
          `local lake vs baseline code path: ${local.seconds.toFixed(1)} vs ${baseline.seconds.toFixed(1)} s wall ` +
            `(${(local.seconds / baseline.seconds).toFixed(2)}×), cpu ${local.cpu.toFixed(1)} vs ${baseline.cpu.toFixed(1)} s ` +
            `(${(local.cpu / baseline.cpu).toFixed(2)}×; target ≤ 1×)`,
        );
      }
    } finally {
      await store.close();
      server.child.kill('SIGTERM');
      for (const home of homes) await rm(home, { recursive: true, force: true });
    }
  },
};
