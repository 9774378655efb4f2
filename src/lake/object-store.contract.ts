/**
 * The behaviour every {@link ObjectStore} promises, run by the local folder's and the S3 store's test files
 * (the S3 one against a real S3-protocol server on loopback).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAll, ObjectExistsError, ObjectNotFoundError, type ObjectStore } from './object-store.ts';

export interface ObjectStoreTarget {
  /** A fresh, empty store (its own folder or key prefix). */
  open(): Promise<ObjectStore>;
  cleanup?(): Promise<void>;
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function objectStoreContract(name: string, target: () => Promise<ObjectStoreTarget>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let context: ObjectStoreTarget;
    let store: ObjectStore;
    const scratch = mkdtempSync(join(tmpdir(), 'object-store-contract-'));

    beforeAll(async () => {
      context = await target();
      store = await context.open();
    });
    afterAll(async () => {
      await store?.close();
      await context?.cleanup?.();
    });

    it('puts and gets bytes, with size and etag from head', async () => {
      const body = Buffer.from('{"rows": 3}\n');
      const written = await store.put('bronze/transactions/ingest_date=2025-03-01/_manifest.json', body);
      expect(written.size).toBe(body.length);
      expect(await store.get('bronze/transactions/ingest_date=2025-03-01/_manifest.json')).toEqual(body);
      const head = await store.head('bronze/transactions/ingest_date=2025-03-01/_manifest.json');
      expect(head).toMatchObject({
        key: 'bronze/transactions/ingest_date=2025-03-01/_manifest.json',
        size: 12,
      });
      expect(head!.etag).not.toBe('');
      expect(Math.abs(head!.lastModified.getTime() - Date.now())).toBeLessThan(120_000);
      expect(
        await readAll(await store.getStream('bronze/transactions/ingest_date=2025-03-01/_manifest.json')),
      ).toEqual(body);
    });

    it('reports a missing key: undefined from head, ObjectNotFoundError from get', async () => {
      expect(await store.head('nothing/here.json')).toBeUndefined();
      await expect(store.get('nothing/here.json')).rejects.toThrow(ObjectNotFoundError);
      await expect(store.get('nothing/here.json')).rejects.toThrow(/'nothing\/here\.json' does not exist/);
      await expect(store.getStream('nothing/here.json')).rejects.toThrow(ObjectNotFoundError);
      await expect(store.getToFile('nothing/here.json', join(scratch, 'missing'))).rejects.toThrow(
        ObjectNotFoundError,
      );
    });

    it('never overwrites with ifAbsent, and replaces whole without it', async () => {
      await store.put('log/00000000000000000000.json', 'first', { ifAbsent: true });
      await expect(store.put('log/00000000000000000000.json', 'second', { ifAbsent: true })).rejects.toThrow(
        ObjectExistsError,
      );
      expect((await store.get('log/00000000000000000000.json')).toString()).toBe('first');
      await store.put('log/_last_checkpoint', 'a');
      await store.put('log/_last_checkpoint', 'bb');
      expect((await store.get('log/_last_checkpoint')).toString()).toBe('bb');
    });

    it('puts a file larger than one multipart part and gets it back to a file, byte for byte', async () => {
      const big = randomBytes(6 * 1024 * 1024 + 123);
      const source = join(scratch, 'big.bin');
      writeFileSync(source, big);
      const written = await store.putFile('silver/big/part-run1-0.parquet', source, { ifAbsent: true });
      expect(written.size).toBe(big.length);
      const target = join(scratch, 'copy', 'big.bin');
      const downloaded = await store.getToFile('silver/big/part-run1-0.parquet', target);
      expect(downloaded.size).toBe(big.length);
      expect(sha(readFileSync(target))).toBe(sha(big));
      await expect(
        store.putFile('silver/big/part-run1-0.parquet', source, { ifAbsent: true }),
      ).rejects.toThrow(ObjectExistsError);
    });

    it('ends a download when its signal aborts, with the signal’s reason, leaving no file', async () => {
      await store.put('bronze/aborted/part-00000.jsonl', 'x'.repeat(1000));
      const controller = new AbortController();
      controller.abort(new Error('task silver_check_1 timed out after 1 s'));
      const folder = join(scratch, 'aborted');
      await expect(
        store.getToFile('bronze/aborted/part-00000.jsonl', join(folder, 'part.jsonl'), {
          signal: controller.signal,
        }),
      ).rejects.toThrow('task silver_check_1 timed out after 1 s');
      expect(existsSync(folder) ? readdirSync(folder) : []).toEqual([]);
    });

    it('ends an upload when its signal aborts, with the signal’s reason, leaving the key absent', async () => {
      const controller = new AbortController();
      controller.abort(new Error('task silver_check_2 was stopped'));
      const source = join(scratch, 'staged.parquet');
      writeFileSync(source, randomBytes(1000));
      await expect(
        store.putFile('silver/_checks/ingest_date=2025-03-01/staged.parquet', source, {
          signal: controller.signal,
        }),
      ).rejects.toThrow('task silver_check_2 was stopped');
      await expect(
        store.put('silver/_checks/ingest_date=2025-03-01/small.json', '{}', { signal: controller.signal }),
      ).rejects.toThrow('task silver_check_2 was stopped');
      expect(await store.head('silver/_checks/ingest_date=2025-03-01/staged.parquet')).toBeUndefined();
      expect(await store.head('silver/_checks/ingest_date=2025-03-01/small.json')).toBeUndefined();
    });

    it('puts a stream', async () => {
      const parts = [Buffer.from('line 1\n'), Buffer.from('line 2\n')];
      await store.putStream('stream/lines.jsonl', Readable.from(parts));
      expect((await store.get('stream/lines.jsonl')).toString()).toBe('line 1\nline 2\n');
    });

    it('lists by prefix in key order, with folders grouped by a delimiter', async () => {
      const keys = [
        'p/a/1',
        'p/a/2',
        'p/a/b/3',
        'p/ab/4',
        'p/event_date=2025-03-01/merchant_category=food & drink/x',
      ];
      for (const key of keys) await store.put(key, key);
      const all = await store.list('p/');
      expect(all.objects.map((o) => o.key)).toEqual([
        'p/a/1',
        'p/a/2',
        'p/a/b/3',
        'p/ab/4',
        'p/event_date=2025-03-01/merchant_category=food & drink/x',
      ]);
      expect(all.nextToken).toBeUndefined();
      expect((await store.list('p/a/')).objects.map((o) => o.key)).toEqual(['p/a/1', 'p/a/2', 'p/a/b/3']);
      expect((await store.list('p/a')).objects.map((o) => o.key)).toEqual([
        'p/a/1',
        'p/a/2',
        'p/a/b/3',
        'p/ab/4',
      ]);
      const folders = await store.list('p/', { delimiter: '/' });
      expect(folders.objects).toEqual([]);
      expect(folders.prefixes).toEqual(['p/a/', 'p/ab/', 'p/event_date=2025-03-01/']);
      const inA = await store.list('p/a/', { delimiter: '/' });
      expect(inA.objects.map((o) => o.key)).toEqual(['p/a/1', 'p/a/2']);
      expect(inA.prefixes).toEqual(['p/a/b/']);
      expect(inA.objects[0]!.size).toBe(5);
      expect((await store.list('p/zzz/')).objects).toEqual([]);
    });

    it('pages through a listing with a small page size, every key once', async () => {
      const keys = Array.from({ length: 7 }, (_, i) => `paging/k-${String(i).padStart(2, '0')}`);
      for (const key of keys) await store.put(key, 'x');
      const pages: string[][] = [];
      let token: string | undefined;
      do {
        const page = await store.list('paging/', { maxKeys: 3, ...(token ? { token } : {}) });
        pages.push(page.objects.map((o) => o.key));
        token = page.nextToken;
      } while (token);
      expect(pages).toEqual([keys.slice(0, 3), keys.slice(3, 6), keys.slice(6)]);
      const collected: string[] = [];
      for await (const object of listAll(store, 'paging/', { maxKeys: 2 })) collected.push(object.key);
      expect(collected).toEqual(keys);
      const after = await store.list('paging/', { startAfter: 'paging/k-04' });
      expect(after.objects.map((o) => o.key)).toEqual(['paging/k-05', 'paging/k-06']);
    });

    it('deletes idempotently, one or many', async () => {
      for (const key of ['del/1', 'del/2', 'del/3', 'del/sub/4']) await store.put(key, 'x');
      await store.delete('del/1');
      expect(await store.head('del/1')).toBeUndefined();
      await store.delete('del/1');
      await store.deleteMany(['del/2', 'del/sub/4', 'del/never-there']);
      expect((await store.list('del/')).objects.map((o) => o.key)).toEqual(['del/3']);
    });

    it('copies an object, refusing a taken name with ifAbsent', async () => {
      await store.put('copy/from', 'payload');
      await store.copy('copy/from', 'copy/to', { ifAbsent: true });
      expect((await store.get('copy/to')).toString()).toBe('payload');
      await expect(store.copy('copy/from', 'copy/to', { ifAbsent: true })).rejects.toThrow(ObjectExistsError);
      await expect(store.copy('copy/missing', 'copy/other')).rejects.toThrow(ObjectNotFoundError);
    });

    it('refuses keys that could escape the lake root', async () => {
      await expect(store.put('../outside', 'x')).rejects.toThrow(/invalid lake object key/);
      await expect(store.put('/absolute', 'x')).rejects.toThrow(/invalid lake object key/);
      await expect(store.get('a/./b')).rejects.toThrow(/invalid lake object key/);
    });
  });
}
