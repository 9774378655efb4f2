import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3TestServer, startS3TestServer } from '../../test/helpers/s3-test-server.ts';
import { parseConfig } from '../config/load-config.ts';
import { LocalObjectStore } from './local/local-object-store.ts';
import { openObjectStore } from './open-object-store.ts';
import { S3ObjectStore } from './s3/s3-object-store.ts';

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3TestServer();
});
afterAll(async () => server?.stop());

describe('openObjectStore', () => {
  it('opens a local lake under home', async () => {
    const home = mkdtempSync(join(tmpdir(), 'open-store-'));
    const store = await openObjectStore({
      ...parseConfig({}, 'test'),
      home,
      lakeLocation: { kind: 'local', root: join(home, 'lake') },
    });
    expect(store).toBeInstanceOf(LocalObjectStore);
    expect(store.location).toBe(join(home, 'lake'));
  });

  it('opens an S3 lake with credentials from secret references and writes through it', async () => {
    const config = parseConfig(
      {
        lake: `s3://${server.bucket}/team/lake`,
        s3: {
          region: 'eu-west-1',
          endpoint: server.endpoint,
          force_path_style: true,
          credentials: { access_key_id: { env: 'LAKE_KEY_ID' }, secret_access_key: { env: 'LAKE_SECRET' } },
        },
      },
      'test',
    );
    const store = await openObjectStore(
      {
        ...config,
        home: '/unused',
        lakeLocation: { kind: 's3', bucket: server.bucket, prefix: 'team/lake' },
      },
      { env: { LAKE_KEY_ID: 'AKIDFROMENV', LAKE_SECRET: 'secret-from-env' } },
    );
    expect(store).toBeInstanceOf(S3ObjectStore);
    expect(store.location).toBe(`s3://${server.bucket}/team/lake`);
    const authorizations: string[] = [];
    (store as S3ObjectStore).client.middlewareStack.add(
      (next) => async (args) => {
        authorizations.push(
          String((args.request as { headers: Record<string, string> }).headers['authorization']),
        );
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordAuthorization' },
    );
    await store.put('gold/marts/x/part-0.parquet', 'data');
    expect((await store.get('gold/marts/x/part-0.parquet')).toString()).toBe('data');
    expect(authorizations[0]).toMatch(/Credential=AKIDFROMENV\/\d{8}\/eu-west-1\/s3\/aws4_request/);
    // The object really sits under the prefix in the bucket.
    const raw = new S3ObjectStore({
      client: server.client(),
      bucket: server.bucket,
      prefix: '',
      encryption: { kind: 'AES256' },
    });
    expect((await raw.list('team/lake/gold/')).objects.map((o) => o.key)).toEqual([
      'team/lake/gold/marts/x/part-0.parquet',
    ]);
    await store.close();
  });

  it('refuses credentials whose secret is not set, naming the key', async () => {
    const config = parseConfig(
      {
        lake: 's3://b-x1/p',
        s3: { credentials: { access_key_id: { env: 'NOPE' }, secret_access_key: { env: 'NOPE2' } } },
      },
      'test',
    );
    await expect(
      openObjectStore(
        { ...config, home: '/unused', lakeLocation: { kind: 's3', bucket: 'b-x1', prefix: 'p' } },
        { env: {} },
      ),
    ).rejects.toThrow("config key 's3.credentials.access_key_id': the secret it refers to is not set");
  });
});
