/**
 * A bounded local mirror of lake objects, for DuckDB (which cannot read S3 here: no httpfs). `fetch` returns a
 * local path, downloading the object when it is missing or its etag/size changed; past `maxBytes` the least
 * recently used objects are deleted. The index is a SQLite file in the cache folder, so several processes on
 * one home share the cache safely: eviction deletes files while holding SQLite's write lock, and an object
 * fetched within the last `pinMs` is never evicted (the caller is still reading it).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { ObjectInfo, ObjectStore } from '../object-store.ts';

export interface ObjectCacheOptions {
  /** Folder of the cache (config `lake.cache_dir`). */
  dir: string;
  /** Bound on the bytes kept (config `lake.cache_max_bytes`); pinned objects may exceed it for a while. */
  maxBytes: number;
  /** How long a fetched object is protected from eviction (the caller reads it meanwhile). Default 10 minutes. */
  pinMs?: number;
  now?: () => number;
}

/** What the caller knows about the object, e.g. from a commit log: a mismatch means the copy is stale. */
export interface ExpectedObject {
  etag?: string;
  size?: number;
}

export interface CacheStats {
  objects: number;
  bytes: number;
}

interface Entry {
  etag: string;
  size: number;
}

export class ObjectCache {
  private readonly db: Database.Database;
  /** Which lake's objects (a hash of the store's location): the index can hold several. */
  private readonly lake: string;
  private readonly objectsDir: string;
  private readonly pinMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: ObjectStore,
    private readonly options: ObjectCacheOptions,
  ) {
    mkdirSync(options.dir, { recursive: true });
    // One folder per lake, so two lakes on one home never share a key.
    this.lake = createHash('sha256').update(store.location).digest('hex').slice(0, 12);
    this.objectsDir = join(options.dir, 'objects', this.lake);
    this.pinMs = options.pinMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
    this.db = new Database(join(options.dir, 'cache-index.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 30000');
    this.db.exec(`create table if not exists cached_objects (
      lake text not null, key text not null, etag text not null, size integer not null,
      last_used integer not null, pinned_until integer not null, primary key (lake, key))`);
  }

  /** Where `key` lives in the cache (whether or not it is there yet). */
  pathOf(key: string): string {
    return join(this.objectsDir, ...key.split('/'));
  }

  /** The local path of `key`, downloaded first when missing or stale; `signal` ends the download. */
  async fetch(key: string, expected: ExpectedObject = {}, signal?: AbortSignal): Promise<string> {
    const path = this.pathOf(key);
    if (this.touch(key, expected) && existsSync(path)) return path;
    const info = await this.store.getToFile(key, path, signal ? { signal } : {});
    this.register(key, info.etag, info.size);
    this.evict();
    return path;
  }

  private register(key: string, etag: string, size: number): void {
    const now = this.now();
    this.db
      .prepare(
        `insert into cached_objects (lake, key, etag, size, last_used, pinned_until) values (?, ?, ?, ?, ?, ?)
         on conflict (lake, key) do update set etag = excluded.etag, size = excluded.size,
           last_used = excluded.last_used, pinned_until = excluded.pinned_until`,
      )
      .run(this.lake, key, etag, size, now, now + this.pinMs);
  }

  /**
   * Takes a local file that was just uploaded as `info.key` into the cache (moved when it can be), so a reader
   * of that object next needs no download: a run's own outputs are what its next task reads.
   */
  async adopt(path: string, info: ObjectInfo): Promise<string> {
    const target = this.pathOf(info.key);
    await mkdir(dirname(target), { recursive: true });
    const temporary = `${target}.${process.pid}.adopt`;
    try {
      await rename(path, temporary);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      await copyFile(path, temporary);
    }
    try {
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    this.register(info.key, info.etag, info.size);
    this.evict();
    return target;
  }

  /** Local paths of every key, in order (downloads run a few at a time); `signal` ends them all. */
  async fetchAll(
    keys: readonly (string | ({ key: string } & ExpectedObject))[],
    concurrency = 4,
    signal?: AbortSignal,
  ): Promise<string[]> {
    const paths: string[] = new Array(keys.length);
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        signal?.throwIfAborted();
        const index = next++;
        const item = keys[index]!;
        paths[index] =
          typeof item === 'string'
            ? await this.fetch(item, {}, signal)
            : await this.fetch(item.key, { ...(item.size !== undefined ? { size: item.size } : {}) }, signal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
    return paths;
  }

  /** Deletes least recently used, unpinned objects until the cache is within its bound; returns their keys. */
  evict(): string[] {
    const evicted: string[] = [];
    const run = this.db.transaction(() => {
      let bytes = this.stats().bytes;
      if (bytes <= this.options.maxBytes) return;
      const candidates = this.db
        .prepare(
          `select key, size from cached_objects where lake = ? and pinned_until < ? order by last_used, key`,
        )
        .all(this.lake, this.now()) as { key: string; size: number }[];
      const remove = this.db.prepare('delete from cached_objects where lake = ? and key = ?');
      for (const candidate of candidates) {
        if (bytes <= this.options.maxBytes) break;
        remove.run(this.lake, candidate.key);
        // Under the write lock: no other process can re-register this key until the file is gone.
        try {
          unlinkSync(this.pathOf(candidate.key));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
        bytes -= candidate.size;
        evicted.push(candidate.key);
      }
    });
    run.immediate();
    return evicted;
  }

  stats(): CacheStats {
    const row = this.db
      .prepare(
        'select count(*) as objects, coalesce(sum(size), 0) as bytes from cached_objects where lake = ?',
      )
      .get(this.lake) as CacheStats;
    return { objects: Number(row.objects), bytes: Number(row.bytes) };
  }

  close(): void {
    this.db.close();
  }

  /** Marks a cached, current entry used and pinned; false when it must be downloaded. */
  private touch(key: string, expected: ExpectedObject): boolean {
    const entry = this.db
      .prepare('select etag, size from cached_objects where lake = ? and key = ?')
      .get(this.lake, key) as Entry | undefined;
    if (!entry) return false;
    if (expected.etag !== undefined && expected.etag !== entry.etag) return false;
    if (expected.size !== undefined && expected.size !== entry.size) return false;
    const now = this.now();
    // Zero rows updated means another process evicted it meanwhile.
    return (
      this.db
        .prepare('update cached_objects set last_used = ?, pinned_until = ? where lake = ? and key = ?')
        .run(now, now + this.pinMs, this.lake, key).changes === 1
    );
  }
}
