import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3TestServer, startS3TestServer } from '../../../test/helpers/s3-test-server.ts';
import { waitFor } from '../../../test/helpers/wait-for.ts';
import { objectStoreContract } from '../object-store.contract.ts';
import { S3ObjectStore } from './s3-object-store.ts';

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3TestServer();
});
afterAll(async () => {
  await server?.stop();
});

objectStoreContract('S3 (fauxqs on loopback)', async () => ({
  open: async () =>
    new S3ObjectStore({
      client: server.client(),
      bucket: server.bucket,
      prefix: `contract-${randomBytes(3).toString('hex')}/lake`,
      encryption: { kind: 'AES256' },
      partSize: 5 * 1024 * 1024,
    }),
}));

/** Requests that create object content: each must carry the encryption headers. */
function objectCreations(requests: S3TestServer['requests']) {
  return requests.filter(
    (request) =>
      (request.method === 'PUT' && !('partNumber' in request.query)) ||
      (request.method === 'POST' && 'uploads' in request.query),
  );
}

describe('S3ObjectStore', () => {
  it('stops a multipart upload under way when its signal aborts, and leaves no object', async () => {
    const store = new S3ObjectStore({
      client: server.client(),
      bucket: server.bucket,
      prefix: `abort-up-${randomBytes(3).toString('hex')}/lake`,
      encryption: { kind: 'AES256' },
      partSize: 5 * 1024 * 1024,
    });
    const source = join(mkdtempSync(join(tmpdir(), 's3-abort-up-')), 'staged.parquet');
    writeFileSync(source, randomBytes(48 * 1024 * 1024));
    const controller = new AbortController();
    const before = server.requests.length;
    // Aborted once the first part has reached the server: the upload is under way, far from its end.
    const watch = setInterval(() => {
      if (
        server.requests
          .slice(before)
          .some((request) => request.method === 'PUT' && 'partNumber' in request.query)
      )
        controller.abort(new Error('task silver_check_1 timed out after 1 s'));
    }, 1);
    try {
      await expect(
        store.putFile('silver/_checks/ingest_date=2025-03-01/run-1-batch.parquet', source, {
          signal: controller.signal,
        }),
      ).rejects.toThrow('task silver_check_1 timed out after 1 s');
    } finally {
      clearInterval(watch);
    }
    expect(await store.head('silver/_checks/ingest_date=2025-03-01/run-1-batch.parquet')).toBeUndefined();
    // lib-storage aborts the multipart upload (its parts deleted) once the parts in flight have ended.
    const abortSent = () =>
      server.requests
        .slice(before)
        .some((request) => request.method === 'DELETE' && 'uploadId' in request.query);
    await waitFor(abortSent, 'the multipart upload to be aborted', () => '', 10_000);
    expect(abortSent()).toBe(true);
  });

  it('stops a download under way when its signal aborts, and leaves no partial file', async () => {
    const store = new S3ObjectStore({
      client: server.client(),
      bucket: server.bucket,
      prefix: `abort-${randomBytes(3).toString('hex')}/lake`,
      encryption: { kind: 'AES256' },
      partSize: 8 * 1024 * 1024,
    });
    const scratch = mkdtempSync(join(tmpdir(), 's3-abort-'));
    const source = join(scratch, 'big.jsonl');
    writeFileSync(source, randomBytes(48 * 1024 * 1024));
    await store.putFile('bronze/transactions/ingest_date=2025-03-01/part-00000.jsonl', source);
    const folder = join(scratch, 'cache');
    const controller = new AbortController();
    // Aborted once the first bytes are on disk: the download is under way, far from its end.
    const watch = setInterval(() => {
      const partial = existsSync(folder)
        ? readdirSync(folder).find((name) => name.endsWith('.part'))
        : undefined;
      // The partial file goes away once the download ends or aborts, maybe between the listing and the stat.
      if (partial && (statSync(join(folder, partial), { throwIfNoEntry: false })?.size ?? 0) > 0)
        controller.abort(new Error('task silver_check_1 timed out after 1 s'));
    }, 1);
    try {
      await expect(
        store.getToFile(
          'bronze/transactions/ingest_date=2025-03-01/part-00000.jsonl',
          join(folder, 'part.jsonl'),
          {
            signal: controller.signal,
          },
        ),
      ).rejects.toThrow('task silver_check_1 timed out after 1 s');
    } finally {
      clearInterval(watch);
    }
    expect(readdirSync(folder)).toEqual([]);
  });

  it('sends SSE-KMS headers with every object it creates: put, multipart upload, copy', async () => {
    const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const store = new S3ObjectStore({
      client: server.client(),
      bucket: server.bucket,
      prefix: 'kms/lake',
      encryption: { kind: 'aws:kms', kmsKeyId: keyArn },
      partSize: 5 * 1024 * 1024,
    });
    const before = server.requests.length;
    const file = join(mkdtempSync(join(tmpdir(), 's3-sse-')), 'big.bin');
    writeFileSync(file, randomBytes(11 * 1024 * 1024));
    await store.put('a/small.json', '{}', { ifAbsent: true });
    await store.putFile('a/big.parquet', file);
    await store.copy('a/small.json', 'a/copied.json');
    const sent = server.requests.slice(before);
    const parts = sent.filter((request) => request.method === 'PUT' && 'partNumber' in request.query);
    expect(parts.length).toBe(3);
    const creations = objectCreations(sent);
    // put, CreateMultipartUpload, copy
    expect(creations.map((request) => request.path)).toEqual([
      `/${server.bucket}/kms/lake/a/small.json`,
      `/${server.bucket}/kms/lake/a/big.parquet`,
      `/${server.bucket}/kms/lake/a/copied.json`,
    ]);
    for (const request of creations) {
      expect(request.headers['x-amz-server-side-encryption']).toBe('aws:kms');
      expect(request.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe(keyArn);
    }
    expect(creations[0]!.headers['if-none-match']).toBe('*');
    expect(creations[1]!.headers['if-none-match']).toBeUndefined();
    expect((await store.head('a/big.parquet'))!.size).toBe(11 * 1024 * 1024);
  });

  it('sends SSE-S3 (AES256) with a put', async () => {
    const store = new S3ObjectStore({
      client: server.client(),
      bucket: server.bucket,
      prefix: '',
      encryption: { kind: 'AES256' },
    });
    const before = server.requests.length;
    await store.put('root-object.json', '{}');
    const [creation] = objectCreations(server.requests.slice(before));
    expect(creation!.path).toBe(`/${server.bucket}/root-object.json`);
    expect(creation!.headers['x-amz-server-side-encryption']).toBe('AES256');
    expect(creation!.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBeUndefined();
    expect(store.urlOf('silver/x.parquet')).toBe(`s3://${server.bucket}/silver/x.parquet`);
  });
});
