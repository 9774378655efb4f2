/**
 * Lakes for tests, on either store: a local folder under a throw-away home, or a fresh prefix of a bucket on a
 * loopback S3-protocol server (fauxqs, one per test file, started on first use) reached through a client that
 * records every request (test/helpers/s3-test-server.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type ResolvedConfig } from '../../src/config/load-config.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { openLake } from '../../src/lake/open-lake.ts';
import { S3ObjectStore } from '../../src/lake/s3/s3-object-store.ts';
import { type S3TestServer, startS3TestServer } from './s3-test-server.ts';

export type StoreKind = 'local' | 's3';
export const STORE_KINDS: readonly StoreKind[] = ['local', 's3'];

/** Credentials the child processes read from these variables (any value works with fauxqs). */
export const S3_TEST_ENV = {
  FINTECH_TEST_S3_KEY_ID: 'AKIATESTFINTECH0001',
  FINTECH_TEST_S3_SECRET: 'fintech-test-secret-9f3b7c1d2e',
};

let shared: Promise<S3TestServer> | undefined;

/** The test file's S3 server, started on first use. */
export function sharedS3Server(): Promise<S3TestServer> {
  shared ??= startS3TestServer();
  return shared;
}

/** Stops the test file's S3 server (call from afterAll). */
export async function stopSharedS3Server(): Promise<void> {
  const server = shared;
  shared = undefined;
  await (await server)?.stop();
}

/**
 * The config lines of an S3 lake on `endpoint` under a fresh prefix: what a home's fintech-etl.yaml holds so
 * that a `fintech-etl` child process reaches the same lake (credentials from {@link S3_TEST_ENV}).
 */
export function s3LakeYaml(server: Pick<S3TestServer, 'endpoint' | 'bucket'>, prefix: string): string {
  return [
    `lake: s3://${server.bucket}/${prefix}`,
    's3:',
    `  endpoint: ${server.endpoint}`,
    '  region: us-east-1',
    '  force_path_style: true',
    '  sse: AES256',
    '  credentials:',
    '    access_key_id: {env: FINTECH_TEST_S3_KEY_ID}',
    '    secret_access_key: {env: FINTECH_TEST_S3_SECRET}',
    '',
  ].join('\n');
}

export interface TestLake {
  kind: StoreKind;
  home: string;
  config: ResolvedConfig;
  lake: Lake;
  /** The S3 server of an S3 lake (its `requests` record what the lake's client sent). */
  server?: S3TestServer;
}

/**
 * A lake of `kind` for the home `home` (which gets a fintech-etl.yaml: the S3 lake's lines, plus `extraYaml`);
 * the config is loaded from that file.
 */
export async function createTestLake(kind: StoreKind, home: string, extraYaml = ''): Promise<TestLake> {
  mkdirSync(home, { recursive: true });
  const server = kind === 's3' ? await sharedS3Server() : undefined;
  const prefix = `lake-${randomBytes(4).toString('hex')}`;
  writeFileSync(join(home, 'fintech-etl.yaml'), `${server ? s3LakeYaml(server, prefix) : ''}${extraYaml}\n`);
  const config = loadConfig({ home, cwd: home, env: {} });
  const store = server
    ? new S3ObjectStore({
        client: server.client(),
        bucket: server.bucket,
        prefix,
        encryption: { kind: 'AES256' },
      })
    : undefined;
  const lake = await openLake(config, store ? { store } : {});
  return { kind, home, config, lake, ...(server ? { server } : {}) };
}
