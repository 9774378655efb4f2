import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3TestServer, startS3TestServer } from '../../../test/helpers/s3-test-server.ts';
import { LocalObjectStore } from '../local/local-object-store.ts';
import { S3ObjectStore } from '../s3/s3-object-store.ts';
import { ObjectCache } from './object-cache.ts';

/** A local lake that counts downloads. */
class CountingStore extends LocalObjectStore {
  downloads: string[] = [];
  override async getToFile(key: string, path: string) {
    this.downloads.push(key);
    return super.getToFile(key, path);
  }
}

function lakeWith(objects: Record<string, string | Buffer>): CountingStore {
  const store = new CountingStore(mkdtempSync(join(tmpdir(), 'cache-lake-')));
  for (const [key, body] of Object.entries(objects)) {
    const path = store.pathOf(key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body);
  }
  return store;
}

const hundred = (c: string) => c.repeat(100);

describe('ObjectCache', () => {
  it('starts no download after its signal aborted, and fails with its reason', async () => {
    const store = lakeWith({ 'bronze/a.jsonl': 'a', 'bronze/b.jsonl': 'b', 'bronze/c.jsonl': 'c' });
    const cache = new ObjectCache(store, { dir: mkdtempSync(join(tmpdir(), 'cache-')), maxBytes: 1000 });
    const controller = new AbortController();
    const fetching = cache.fetchAll(
      ['bronze/a.jsonl', 'bronze/b.jsonl', 'bronze/c.jsonl'],
      1,
      controller.signal,
    );
    // The task times out while its first download is under way.
    controller.abort(new Error('task silver timed out after 1 s'));
    await expect(fetching).rejects.toThrow('task silver timed out after 1 s');
    expect(store.downloads.length).toBeLessThanOrEqual(1);
    cache.close();
  });

  it('downloads a missing object once and serves it locally after that', async () => {
    const store = lakeWith({ 'silver/t/p=1/a.parquet': hundred('a') });
    const cache = new ObjectCache(store, { dir: mkdtempSync(join(tmpdir(), 'cache-')), maxBytes: 1000 });
    const first = await cache.fetch('silver/t/p=1/a.parquet');
    const second = await cache.fetch('silver/t/p=1/a.parquet', { size: 100 });
    expect(first).toBe(second);
    expect(first.endsWith(join('silver', 't', 'p=1', 'a.parquet'))).toBe(true);
    expect(readFileSync(first, 'utf8')).toBe(hundred('a'));
    expect(store.downloads).toEqual(['silver/t/p=1/a.parquet']);
    expect(cache.stats()).toEqual({ objects: 1, bytes: 100 });
    cache.close();
  });

  it('downloads again when the etag or size it is given differs from the cached copy', async () => {
    const store = lakeWith({ 'gold/m/part.parquet': 'old' });
    const cache = new ObjectCache(store, { dir: mkdtempSync(join(tmpdir(), 'cache-')), maxBytes: 1000 });
    await cache.fetch('gold/m/part.parquet');
    await store.put('gold/m/part.parquet', 'newer content');
    const head = await store.head('gold/m/part.parquet');
    const path = await cache.fetch('gold/m/part.parquet', { etag: head!.etag });
    expect(readFileSync(path, 'utf8')).toBe('newer content');
    expect(store.downloads).toHaveLength(2);
    cache.close();
  });

  it('evicts the least recently used objects past its bound, from disk and index', async () => {
    const store = lakeWith({
      'z/a': hundred('a'),
      'z/b': hundred('b'),
      'z/c': hundred('c'),
      'z/d': hundred('d'),
    });
    let clock = 1_000;
    const cache = new ObjectCache(store, {
      dir: mkdtempSync(join(tmpdir(), 'cache-')),
      maxBytes: 250,
      pinMs: 0,
      now: () => clock++,
    });
    await cache.fetch('z/a');
    await cache.fetch('z/b');
    await cache.fetch('z/c');
    expect(existsSync(cache.pathOf('z/a'))).toBe(false);
    await cache.fetch('z/b');
    await cache.fetch('z/d');
    expect(['z/a', 'z/b', 'z/c', 'z/d'].map((key) => existsSync(cache.pathOf(key)))).toEqual([
      false,
      true,
      false,
      true,
    ]);
    expect(cache.stats()).toEqual({ objects: 2, bytes: 200 });
    await cache.fetch('z/a');
    expect(store.downloads).toEqual(['z/a', 'z/b', 'z/c', 'z/d', 'z/a']);
    cache.close();
  });

  it('never evicts an object fetched within the pin period, even past its bound', async () => {
    const store = lakeWith({ 'z/a': hundred('a'), 'z/b': hundred('b'), 'z/c': hundred('c') });
    let clock = 0;
    const cache = new ObjectCache(store, {
      dir: mkdtempSync(join(tmpdir(), 'cache-')),
      maxBytes: 150,
      pinMs: 1000,
      now: () => clock,
    });
    const paths = await cache.fetchAll(['z/a', 'z/b', 'z/c']);
    expect(paths.map((path) => readFileSync(path, 'utf8')[0])).toEqual(['a', 'b', 'c']);
    expect(cache.stats().bytes).toBe(300);
    clock = 5000;
    expect(cache.evict().length).toBe(2);
    expect(cache.stats().bytes).toBe(100);
    cache.close();
  });

  it('is shared safely by two processes on one home: every read sees a whole object, the index matches the disk', async () => {
    const objects: Record<string, Buffer> = {};
    for (let i = 0; i < 12; i++)
      objects[`silver/t/p=${i % 3}/f-${i}.parquet`] = randomBytes(20_000 + i * 1000);
    const store = lakeWith(objects);
    writeFileSync(
      join(store.root, 'keys.json'),
      JSON.stringify(
        Object.fromEntries(
          Object.entries(objects).map(([key, body]) => [
            key,
            createHash('sha256').update(body).digest('hex'),
          ]),
        ),
      ),
    );
    const dir = mkdtempSync(join(tmpdir(), 'cache-shared-'));
    const worker = fileURLToPath(new URL('./object-cache-worker.ts', import.meta.url));
    const run = (seed: number) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', worker, store.root, dir, '100000', '30', String(seed)],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        child.stderr.on('data', (chunk) => (err += chunk));
        child.on('close', (code) =>
          code === 0 ? resolve(out.trim()) : reject(new Error(`worker failed: ${err}`)),
        );
      });
    const results = (await Promise.all([run(1), run(7)])).map((line) => line.split(' ').map(Number));
    expect(results.map(([checked]) => checked)).toEqual([30, 30]);
    // Objects were evicted and fetched again while both processes ran (12 objects would need 12 downloads).
    expect(results.reduce((sum, [, downloads]) => sum + downloads!, 0)).toBeGreaterThan(24);
    // Once the workers' pins have lapsed, the cache goes back within its bound.
    const cache = new ObjectCache(store, { dir, maxBytes: 100_000, pinMs: 0, now: () => Date.now() + 5000 });
    cache.evict();
    const stats = cache.stats();
    expect(stats.bytes).toBeLessThanOrEqual(100_000);
    const lakeDir = join(dir, 'objects', readdirSync(join(dir, 'objects'))[0]!);
    const onDisk = readdirSync(lakeDir, { recursive: true, withFileTypes: true }).filter((entry) =>
      entry.isFile(),
    );
    expect(onDisk.length).toBe(stats.objects);
    expect(onDisk.reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0)).toBe(
      stats.bytes,
    );
    cache.close();
  });
});

describe('ObjectCache over S3', () => {
  let server: S3TestServer;
  beforeAll(async () => {
    server = await startS3TestServer();
  });
  afterAll(async () => server?.stop());

  it('mirrors S3 objects into the cache folder for DuckDB', async () => {
    const store = new S3ObjectStore({
      client: server.client(),
      bucket: server.bucket,
      prefix: 'lake',
      encryption: { kind: 'AES256' },
    });
    const written = await store.put(
      'silver/transactions/event_date=2025-03-01/part-1.parquet',
      'parquet bytes',
    );
    const cache = new ObjectCache(store, { dir: mkdtempSync(join(tmpdir(), 'cache-s3-')), maxBytes: 10_000 });
    const path = await cache.fetch('silver/transactions/event_date=2025-03-01/part-1.parquet', {
      etag: written.etag,
      size: written.size,
    });
    expect(readFileSync(path, 'utf8')).toBe('parquet bytes');
    const gets = server.requests.filter((request) => request.method === 'GET').length;
    await cache.fetch('silver/transactions/event_date=2025-03-01/part-1.parquet', {
      etag: written.etag,
      size: written.size,
    });
    expect(server.requests.filter((request) => request.method === 'GET').length).toBe(gets);
    cache.close();
  });

  it('takes a just-uploaded work file in as the cached copy: the next read downloads nothing', async () => {
    const store = new S3ObjectStore({
      client: server.client(),
      bucket: server.bucket,
      prefix: 'adopt',
      encryption: { kind: 'AES256' },
    });
    const dir = mkdtempSync(join(tmpdir(), 'cache-adopt-'));
    const work = join(dir, 'work', 'out.parquet');
    mkdirSync(join(dir, 'work'), { recursive: true });
    writeFileSync(work, 'written by a run');
    const key = 'silver/transactions/event_date=2025-03-02/data-run-1.parquet';
    const info = await store.putFile(key, work);
    const cache = new ObjectCache(store, { dir, maxBytes: 10_000 });
    const adopted = await cache.adopt(work, info);
    expect(existsSync(work)).toBe(false);
    expect(adopted).toBe(cache.pathOf(key));
    const gets = server.requests.filter((request) => request.method === 'GET').length;
    expect(readFileSync(await cache.fetch(key, { size: info.size }), 'utf8')).toBe('written by a run');
    expect(server.requests.filter((request) => request.method === 'GET').length).toBe(gets);
    expect(cache.stats()).toEqual({ objects: 1, bytes: info.size });
    cache.close();
  });
});
