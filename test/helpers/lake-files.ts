/**
 * Test helpers: temp local lakes, hashes of their trees, reading generated JSON Lines back. They read the
 * local folder directly, so they serve tests of a local lake only.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { IsoDate } from '../../src/core/dates.ts';
import type { GeneratorSettings } from '../../src/generate/generator-settings.ts';
import { Lake } from '../../src/lake/lake.ts';
import { type BronzeDataset, bronzeTable } from '../../src/lake/lake-layout.ts';
import { LocalObjectStore } from '../../src/lake/local/local-object-store.ts';

export function tempDir(prefix = 'fintech-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A lake in a fresh local folder (its root is `lakeRoot(lake)`). */
export function localLake(root: string = join(tempDir(), 'lake')): Lake {
  return new Lake({
    store: new LocalObjectStore(root),
    scratchRoot: join(root, '.tmp', 'work'),
    retentionHours: 168,
  });
}

/** The folder of a local lake. */
export function lakeRoot(lake: Lake): string {
  return (lake.store as LocalObjectStore).root;
}

/** The folder of a bronze partition in a local lake. */
export function bronzeDir(lake: Lake, dataset: BronzeDataset, date: IsoDate): string {
  return join(lakeRoot(lake), ...bronzeTable(dataset).split('/'), `ingest_date=${date}`);
}

/** Small world and high fault rates, so a few thousand rows exercise every path. */
export function testSettings(overrides: Partial<GeneratorSettings> = {}): GeneratorSettings {
  return {
    seed: 7,
    rowsPerDay: 3000,
    customers: 400,
    merchants: 80,
    worldStart: '2024-06-01' as IsoDate,
    gzip: false,
    lateRate: 0.08,
    maxLateDays: 2,
    farLateRate: 0.01,
    farLateMaxDays: 12,
    dupRate: 0.04,
    updateRate: 0.04,
    badRate: 0.03,
    entityChangeRate: 0.01,
    timezone: 'Asia/Seoul',
    reportingCurrency: 'KRW',
    currencies: ['KRW', 'USD', 'EUR', 'JPY', 'CNY', 'GBP'],
    ...overrides,
  };
}

/**
 * sha256 of every data file and manifest under `dir` (manifests excluded when asked), keyed by relative path.
 * Commit logs (which record when they were written), leases and work folders are left out.
 */
export function hashTree(dir: string, { withManifests = true } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (current: string) => {
    for (const entry of readdirSync(current)) {
      const path = join(current, entry);
      if (['_delta_log', '_leases', '.tmp'].includes(entry)) continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (withManifests || entry !== '_manifest.json') {
        out[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
      }
    }
  };
  walk(dir);
  return out;
}

/** The lines of a bronze partition's data files, in file order (gzip read transparently). */
export function partitionLines(partitionDir: string): string[] {
  const lines: string[] = [];
  for (const file of readdirSync(partitionDir)
    .filter((name) => name.startsWith('part-'))
    .sort()) {
    let bytes = readFileSync(join(partitionDir, file));
    if (file.endsWith('.gz')) bytes = gunzipSync(bytes);
    const text = bytes.toString('utf8');
    lines.push(...text.split('\n').filter((line) => line !== ''));
  }
  return lines;
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
