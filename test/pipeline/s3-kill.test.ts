/**
 * `fintech-etl run` on an S3 lake, killed (SIGKILL) at chosen points of its silver commit and run again: before
 * the commit point (the commit record's PUT), during the upload of silver's files, and after the commit point
 * (the first log entry's PUT after the record). The child reaches the loopback S3 server through a recording
 * proxy, which holds the request of the kill point, so the process dies exactly there. After each kill the
 * previous committed state (or the whole new one) is what readers see, the rerun succeeds without reading any
 * object a commit did not publish, and the marts end identical to an uninterrupted run on a local lake. No
 * secret (S3 secret key, tokenization key) appears in any output, error or object.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import type { IsoDate } from '../../src/core/dates.ts';
import { generateBronze } from '../../src/generate/generate-bronze.ts';
import { decodeTablePath, parseLogEntry, versionOfLogEntry } from '../../src/lake/commit-log/delta-log.ts';
import { readPendingRecords } from '../../src/lake/commit-log/transaction-record.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { LEDGER_TABLE, silverTable } from '../../src/lake/lake-layout.ts';
import { listAll } from '../../src/lake/object-store.ts';
import { openLake } from '../../src/lake/open-lake.ts';
import { S3ObjectStore } from '../../src/lake/s3/s3-object-store.ts';
import { openWarehouse } from '../../src/warehouse/open-warehouse.ts';
import { testSettings } from '../helpers/lake-files.ts';
import {
  createPipelineHarness,
  END_TO_END_SETUP_MS,
  expectRunOk,
  MARTS,
  type PipelineHarness,
} from '../helpers/pipeline-harness.ts';
import {
  type ProxiedRequest,
  type S3RecordingProxy,
  startS3RecordingProxy,
} from '../helpers/s3-recording-proxy.ts';
import type { S3TestServer } from '../helpers/s3-test-server.ts';
import { S3_TEST_ENV, s3LakeYaml, sharedS3Server, stopSharedS3Server } from '../helpers/test-lake.ts';
import { silverContentHash } from '../silver/silver-fixture.ts';

const BIN = fileURLToPath(new URL('../../bin/fintech-etl', import.meta.url));
const DAYS = ['2025-03-01', '2025-03-02', '2025-03-03'] as IsoDate[];
const SETTINGS = testSettings({ rowsPerDay: 1500, customers: 300, merchants: 60, entityChangeRate: 0.05 });
const TOKENIZATION_KEY = 'tokenization-secret-7d41c09e55aa';
const SECRETS = [S3_TEST_ENV.FINTECH_TEST_S3_SECRET, TOKENIZATION_KEY];
const PREFIX = `kill-${process.pid}`;

interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The requests it sent through the proxy. */
  requests: ProxiedRequest[];
}

let server: S3TestServer;
let proxy: S3RecordingProxy;
let home: string;
/** The child's lake, read in this process through a direct client (not the proxy). */
let lake: Lake;
let reference: PipelineHarness;
const outputs: string[] = [];

/** Runs `fintech-etl` on the test home; with `killWhen`, SIGKILLs it when it sends the first matching request. */
function fintechEtl(args: string[], killWhen?: (request: ProxiedRequest) => boolean): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const first = proxy.requests.length;
    const child: ChildProcess = spawn(BIN, ['--home', home, ...args], {
      env: {
        ...process.env,
        ...S3_TEST_ENV,
        FINTECH_TEST_TOKENIZATION_KEY: TOKENIZATION_KEY,
        FINTECH_ETL_HOME: '',
      },
    });
    if (killWhen) proxy.holdWhen(killWhen, () => child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status, signal) => {
      proxy.release();
      outputs.push(stdout, stderr);
      resolve({ status, signal, stdout, stderr, requests: proxy.requests.slice(first) });
    });
  });
}

const keyOf = (request: ProxiedRequest) => request.path.replace(`/${server.bucket}/${PREFIX}/`, '');
const isPut = (request: ProxiedRequest) => request.method === 'PUT';

/**
 * Objects of the lake that no log entry and no committed record ever published: what writes that died before
 * their commit point left behind (leases, manifests and the logs themselves aside).
 */
async function unpublishedObjects(): Promise<Set<string>> {
  const published = new Set<string>();
  const objects: string[] = [];
  const publish = (table: string, actions: ReturnType<typeof parseLogEntry>) => {
    for (const action of actions)
      if ('add' in action) published.add(`${table}/${decodeTablePath(action.add.path)}`);
  };
  for await (const object of listAll(lake.store, '')) {
    const key = object.key;
    if (versionOfLogEntry(key) !== undefined) {
      const table = key.slice(0, key.indexOf('/_delta_log/'));
      publish(table, parseLogEntry((await lake.store.get(key)).toString('utf8'), key));
    } else if (
      !key.includes('/_delta_log/') &&
      !key.startsWith('_transactions/') &&
      !key.startsWith('_leases/') &&
      !key.startsWith('silver/_copy_manifests/') &&
      !key.endsWith('/_manifest.json')
    ) {
      objects.push(key);
    }
  }
  for (const record of await readPendingRecords(lake.store))
    for (const entry of record.entries) publish(entry.table, entry.actions);
  return new Set(objects.filter((key) => !published.has(key)));
}

/** Reruns a date after a kill: it succeeds and reads (GET) no object that no commit published. */
async function rerunReadingOnlyPublished(date: IsoDate): Promise<ChildResult> {
  const unpublished = await unpublishedObjects();
  const rerun = await fintechEtl(['run', '--date', date]);
  expect(rerun.status, rerun.stderr).toBe(0);
  const read = rerun.requests.filter((request) => request.method === 'GET').map(keyOf);
  expect(read.filter((key) => unpublished.has(key))).toEqual([]);
  return rerun;
}

/** The marts of the children's DuckDB warehouse in the test home. */
async function martsOfWarehouse() {
  const warehouse = await openWarehouse(loadConfig({ home, cwd: home, env: {} }), { env: {} });
  try {
    const marts: Record<string, unknown> = {};
    for (const mart of MARTS) {
      const columns = await warehouse.columns({ schema: 'marts', name: mart });
      const order = columns.map((_, index) => index + 1).join(', ');
      marts[mart] = (await warehouse.query(`select * from marts.${mart} order by ${order}`)).rows;
    }
    return marts;
  } finally {
    await warehouse.close();
  }
}

describe('fintech-etl run on an S3 lake, killed during its silver upload and commit', () => {
  beforeAll(async () => {
    server = await sharedS3Server();
    proxy = await startS3RecordingProxy(server.endpoint);
    home = mkdtempSync(join(tmpdir(), 'fintech-kill-'));
    mkdirSync(home, { recursive: true });
    writeFileSync(
      join(home, 'fintech-etl.yaml'),
      `${s3LakeYaml({ endpoint: proxy.endpoint, bucket: server.bucket }, PREFIX)}tokenization:\n  key: {env: FINTECH_TEST_TOKENIZATION_KEY}\n`,
    );
    const config = loadConfig({ home, cwd: home, env: {} });
    lake = await openLake(config, {
      store: new S3ObjectStore({
        client: server.client(),
        bucket: server.bucket,
        prefix: PREFIX,
        encryption: { kind: 'AES256' },
      }),
    });
    await generateBronze({ lake, settings: SETTINGS, from: DAYS[0]!, to: DAYS.at(-1)! });
    // The same key as the children's, so card tokens (and silver) compare.
    process.env['FINTECH_TEST_TOKENIZATION_KEY'] = TOKENIZATION_KEY;
    reference = await createPipelineHarness({
      store: 'local',
      configYaml: 'tokenization:\n  key: {env: FINTECH_TEST_TOKENIZATION_KEY}\n',
    });
    await generateBronze({ lake: reference.lake, settings: SETTINGS, from: DAYS[0]!, to: DAYS.at(-1)! });
  }, END_TO_END_SETUP_MS);

  afterAll(async () => {
    await lake?.close();
    await reference?.close();
    await proxy?.stop();
    await stopSharedS3Server();
  });

  it('killed at the PUT of its commit record: nothing is committed, the rerun commits the day', async () => {
    const killed = await fintechEtl(
      ['run', '--date', DAYS[0]!],
      (request) => isPut(request) && keyOf(request).startsWith('_transactions/'),
    );
    expect(killed.signal).toBe('SIGKILL');
    // Its silver files were uploaded (the record is the last write), none is published.
    expect(
      killed.requests.filter((r) => isPut(r) && keyOf(r).startsWith('silver/transactions/')).length,
    ).toBeGreaterThan(10);
    expect((await lake.snapshot(silverTable('transactions'))).exists).toBe(false);
    expect((await lake.snapshot(LEDGER_TABLE)).exists).toBe(false);
    expect((await unpublishedObjects()).size).toBeGreaterThan(10);
    await rerunReadingOnlyPublished(DAYS[0]!);
    expectRunOk(await reference.run(DAYS[0]!));
    expect(await silverContentHash(lake)).toBe(await silverContentHash(reference.lake));
  });

  it('killed during the upload of its silver files: the previous day stays what readers see', async () => {
    const before = await silverContentHash(lake);
    let silverPuts = 0;
    const killed = await fintechEtl(
      ['run', '--date', DAYS[1]!],
      (request) =>
        isPut(request) && keyOf(request).startsWith('silver/transactions/event_date=') && ++silverPuts === 5,
    );
    expect(killed.signal).toBe('SIGKILL');
    expect(await silverContentHash(lake)).toBe(before);
    expect((await lake.snapshot(LEDGER_TABLE)).files()).toHaveLength(1);
    await rerunReadingOnlyPublished(DAYS[1]!);
    expectRunOk(await reference.run(DAYS[1]!));
    expect(await silverContentHash(lake)).toBe(await silverContentHash(reference.lake));
  });

  it('killed after its commit point: readers see the whole day, the rerun finishes the commit', async () => {
    let recorded = false;
    const killed = await fintechEtl(['run', '--date', DAYS[2]!], (request) => {
      if (isPut(request) && keyOf(request).startsWith('_transactions/')) recorded = true;
      return recorded && isPut(request) && keyOf(request).includes('/_delta_log/');
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(await readPendingRecords(lake.store)).toHaveLength(1);
    expectRunOk(await reference.run(DAYS[2]!));
    // Committed: every table shows the day (the record is read), though no log holds it yet.
    expect(await silverContentHash(lake)).toBe(await silverContentHash(reference.lake));
    expect((await lake.snapshot(LEDGER_TABLE)).files()).toHaveLength(3);
    const rerun = await rerunReadingOnlyPublished(DAYS[2]!);
    expect(rerun.stderr).toMatch(/finished the interrupted silver commit of run run-2025-03-03-/);
    expect(await readPendingRecords(lake.store)).toEqual([]);
    expect(await silverContentHash(lake)).toBe(await silverContentHash(reference.lake));
  });

  it('ends with the marts of an uninterrupted run on a local lake', async () => {
    const referenceMarts: Record<string, unknown> = {};
    for (const mart of MARTS) referenceMarts[mart] = await reference.rows(`marts.${mart}`);
    const marts = await martsOfWarehouse();
    for (const mart of MARTS) expect(marts[mart], mart).toEqual(referenceMarts[mart]);
  });

  it('sent server-side encryption with every put, and shows no secret in any output, error or object', async () => {
    const failed = await fintechEtl(['run', '--date', '2025-03-09']);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/no bronze transactions partition for ingest_date=2025-03-09/);
    const verbose = await fintechEtl(['--verbose', 'run', '--date', '2025-03-09']);
    expect(verbose.status).toBe(1);
    const writes = proxy.requests.filter(
      (request) =>
        (isPut(request) && !request.query.includes('partNumber')) ||
        (request.method === 'POST' && request.query.includes('uploads')),
    );
    expect(writes.length).toBeGreaterThan(100);
    for (const request of writes)
      expect(request.headers['x-amz-server-side-encryption'], request.path).toBe('AES256');
    for (const output of outputs) for (const secret of SECRETS) expect(output).not.toContain(secret);
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const download = mkdtempSync(join(tmpdir(), 'secret-scan-'));
    let scanned = 0;
    for await (const object of listAll(lake.store, '')) {
      const bytes = await lake.store.get(object.key);
      let text = bytes.toString('latin1');
      if (object.key.endsWith('.parquet')) {
        // Compressed pages hide text: every column of every row, cast to text.
        const path = join(download, `${scanned}.parquet`);
        writeFileSync(path, bytes);
        const rows = await db.runAndReadAll(
          `select cast(t as varchar) as row from read_parquet('${path}') t`,
        );
        text = rows
          .getRowObjectsJson()
          .map((row) => String(row['row']))
          .join('\n');
      }
      for (const secret of SECRETS) expect(text, object.key).not.toContain(secret);
      scanned++;
    }
    expect(scanned).toBeGreaterThan(100);
  });
});
