/** Hand-built bronze partitions and a throwaway home for silver tests, on a local or an S3 lake. */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import type { ResolvedConfig } from '../../src/config/load-config.ts';
import type { IsoDate } from '../../src/core/dates.ts';
import { inspectFile } from '../../src/ingest/inspect-file.ts';
import { commitBronzePartition, createStagingDir } from '../../src/lake/bronze-partition.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { type BronzeDataset, silverTable } from '../../src/lake/lake-layout.ts';
import { bronzeFileFormat } from '../../src/silver/bronze-files.ts';
import { runSilver, type SilverResult } from '../../src/silver/run-silver.ts';
import { createTestLake, type StoreKind } from '../helpers/test-lake.ts';

export const TEST_KEY = Buffer.from('test-tokenization-key-0123456789abcdef', 'utf8');

export interface SilverFixture {
  home: string;
  config: ResolvedConfig;
  lake: Lake;
  store: StoreKind;
  run(date: string, runId?: string): Promise<SilverResult>;
}

export async function createSilverFixture(
  options: { store?: StoreKind; config?: Record<string, unknown> } = {},
): Promise<SilverFixture> {
  const home = mkdtempSync(join(tmpdir(), 'fintech-silver-'));
  const { config, lake } = await createTestLake(options.store ?? 'local', home);
  Object.assign(config, options.config ?? {});
  config.silver = { ...config.silver, threads: 2, memory_limit: '512MB' };
  let runs = 0;
  return {
    home,
    config,
    lake,
    store: options.store ?? 'local',
    run: (date, runId) =>
      runSilver({
        config,
        lake,
        ingestDate: date as IsoDate,
        runId: runId ?? `run-${++runs}`,
        tokenizationKey: TEST_KEY,
      }),
  };
}

/** A valid transaction record; override fields to make it bad. */
export function txn(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    transaction_id: id,
    customer_id: 'C001',
    card_id: 'K001',
    merchant_id: 'M001',
    txn_ts: '2025-03-01T13:45:12+09:00',
    amount: '12500.00',
    currency: 'KRW',
    mcc: '5411',
    status: 'approved',
    is_refund: false,
    channel: 'pos',
    card_number: '4111111111111111',
    ...overrides,
  };
}

export type BronzeFileSpec = {
  name: string;
  lines?: (Record<string, unknown> | string)[];
  text?: string;
  /** Exact bytes (for encodings and corrupt files). */
  bytes?: Buffer;
  gzip?: boolean;
  /** The manifest's record count; default: counted the way ingest counts (src/ingest/inspect-file.ts). */
  rows?: number;
};

export async function writeBronze(
  lake: Lake,
  date: string,
  files: BronzeFileSpec[],
  dataset: BronzeDataset = 'transactions',
): Promise<void> {
  const staged = await createStagingDir(lake);
  const manifestFiles = [];
  for (const file of files) {
    const text =
      file.text ??
      `${(file.lines ?? []).map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n')}\n`;
    const bytes = file.bytes ?? (file.gzip ? gzipSync(text) : Buffer.from(text));
    const path = join(staged, file.name);
    await writeFile(path, bytes);
    manifestFiles.push({
      name: file.name,
      rows: file.rows ?? (await inspectFile(path, bronzeFileFormat(file.name)?.format ?? 'jsonl')).records,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  }
  await commitBronzePartition(lake, dataset, date as IsoDate, staged, {
    dataset,
    ingest_date: date,
    rows: manifestFiles.reduce((sum, file) => sum + file.rows, 0),
    files: manifestFiles,
    source: { kind: 'ingest', files: [] },
  });
}

/** The local paths of a silver table's committed files (downloaded first from an S3 lake). */
export async function committedPaths(lake: Lake, table = silverTable('transactions')): Promise<string[]> {
  return lake.localPaths((await lake.snapshot(table)).files());
}

/** `read_parquet([...])` over a table's committed files (of one partition when given), for test queries. */
export async function committedParquet(
  lake: Lake,
  table: string,
  partition: Record<string, string> = {},
): Promise<string> {
  const paths = await lake.localPaths((await lake.snapshot(table)).files(partition));
  return `read_parquet([${paths.map((path) => `'${path}'`).join(', ')}])`;
}

/** Every committed silver transaction row, ordered by id, as plain objects (DECIMAL as strings). */
export async function readSilver(lake: Lake, where = 'TRUE'): Promise<Record<string, unknown>[]> {
  const paths = await committedPaths(lake);
  if (paths.length === 0) return [];
  const list = paths.map((path) => `'${path}'`).join(', ');
  return query(`SELECT * FROM read_parquet([${list}]) WHERE ${where} ORDER BY transaction_id`);
}

export async function query(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A content hash of silver (ordered by id), to compare runs. */
export async function silverContentHash(lake: Lake): Promise<string> {
  const rows = await readSilver(lake);
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex');
}
