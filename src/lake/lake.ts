/**
 * What every stage receives instead of paths: the lake's {@link ObjectStore}, the local mirror DuckDB reads remote
 * objects through, a folder for work files, the writer lease, and the table commit log. Writers put new objects
 * under names never reused and publish them with one commit (`commit`); readers resolve a table's files through
 * its latest committed snapshot (`snapshot`, `localPaths`), never by listing folders. So a local folder and an S3
 * bucket behave alike, and a crash at any point leaves the previous committed state readable.
 *
 * @example
 *   const lake = await openLake(config);
 *   const files = (await lake.snapshot('silver/transactions')).files({ event_date: '2025-03-01' });
 *   const paths = await lake.localPaths(files); // what DuckDB reads
 *   await lake.withWriterLease(async () => {
 *     const info = await lake.upload(`${table}/event_date=…/data-${tag}.parquet`, localFile);
 *     await lake.commit([{ definition, add: [{ key: info.key, … }], remove: [] }], { operation: 'WRITE', runId });
 *   });
 *   await lake.close();
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from '../core/process-alive.ts';
import { untilAborted } from '../core/until-aborted.ts';
import type { ObjectCache } from './cache/object-cache.ts';
import {
  type CommitOptions,
  type CommitResult,
  commitTables,
  type RecoveredTransaction,
  recoverTransactions,
  type TableChange,
} from './commit-log/commit-tables.ts';
import { readTableCommits, type TableCommit } from './commit-log/read-table-commits.ts';
import { readTableSnapshot, readTableSnapshots } from './commit-log/read-table-snapshot.ts';
import type { TableSnapshot } from './commit-log/table-snapshot.ts';
import { readPendingRecords } from './commit-log/transaction-record.ts';
import { type VacuumResult, vacuumTables } from './commit-log/vacuum-tables.ts';
import { acquireObjectLease, type WriterLease } from './commit-log/writer-lease.ts';
import type { ObjectInfo, ObjectStore } from './object-store.ts';
import type { ServerSideEncryption } from './s3/s3-object-store.ts';

/** Gives a writer its lease: the lake's own lease object by default, or one the control plane holds. */
export interface LeaseSource {
  /** Waits for the lease unless `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<WriterLease>;
  /** Whether the lake releases what `acquire` gave (false for a lease its caller holds and releases). */
  readonly releasesLease: boolean;
}

export interface LakeOptions {
  store: ObjectStore;
  /** The local mirror of a remote lake (config `lake.cache_dir`); none for a local folder, read in place. */
  cache?: ObjectCache;
  /** Folder for writers' work files: inside a local lake (moves in are renames), beside the cache otherwise. */
  scratchRoot: string;
  /** Config `lake.retention_hours`: how long superseded objects stay for readers before `vacuum` deletes them. */
  retentionHours: number;
  leases?: LeaseSource;
}

/** What a committed object a reader wants locally is: its key, and its size when the log knows it. */
export interface LakeObjectRef {
  key: string;
  size?: number;
}

export class Lake {
  readonly store: ObjectStore;
  readonly retentionHours: number;
  private readonly cache: ObjectCache | undefined;
  private readonly scratchRoot: string;
  private readonly leases: LeaseSource;
  /** The lease of the calling async context: nested calls reuse it, concurrent ones wait for their turn. */
  private readonly heldLease = new AsyncLocalStorage<WriterLease>();
  /** Settles when the writer this process runs now (if any) let go of the lease. */
  private writerTurn: Promise<void> = Promise.resolve();

  constructor(options: LakeOptions) {
    this.store = options.store;
    this.cache = options.cache;
    this.scratchRoot = options.scratchRoot;
    this.retentionHours = options.retentionHours;
    this.leases = options.leases ?? objectLeases(options.store);
  }

  get kind(): ObjectStore['kind'] {
    return this.store.kind;
  }

  /** A folder path or `s3://bucket/prefix`, for messages. */
  get location(): string {
    return this.store.location;
  }

  /** The latest committed state of a table (lake-layout.ts names them). */
  snapshot(table: string): Promise<TableSnapshot> {
    return readTableSnapshot(this.store, table);
  }

  /** Several tables with one read of pending multi-table commits: all of such a commit or none of it. */
  snapshots(tables: readonly string[]): Promise<Map<string, TableSnapshot>> {
    return readTableSnapshots(this.store, tables);
  }

  /**
   * The committed versions of each table after the version given (-1: all), with one read of pending
   * multi-table commits: what a consumer that applies commits one by one reads (read-table-commits.ts).
   */
  async commits(after: Readonly<Record<string, number>>): Promise<Map<string, TableCommit[]>> {
    const pending = await readPendingRecords(this.store);
    const commits = new Map<string, TableCommit[]>();
    for (const [table, version] of Object.entries(after))
      commits.set(table, await readTableCommits(this.store, table, version, pending));
    return commits;
  }

  /** A file DuckDB can read for a committed object: the object itself in a local lake, its cached copy else. */
  async localPath(object: LakeObjectRef): Promise<string> {
    if (this.cache === undefined) return this.localStorePath(object.key);
    return this.cache.fetch(object.key, object.size !== undefined ? { size: object.size } : {});
  }

  /**
   * {@link localPath} of each, in order; remote objects are downloaded a few at a time, until `signal` (a task's
   * timeout or stop) ends the downloads with its reason.
   */
  async localPaths(
    objects: readonly LakeObjectRef[],
    options: { signal?: AbortSignal } = {},
  ): Promise<string[]> {
    if (this.cache === undefined) return objects.map((object) => this.localStorePath(object.key));
    return this.cache.fetchAll(objects, undefined, options.signal);
  }

  /**
   * The local folder {@link localPath} puts the objects under `prefix` in: that folder of a local lake, or the
   * cache's mirror of it for an S3 lake. What a reader that may read one zone and nothing else is confined to
   * (`query` reads the staging views over silver).
   */
  localFolder(prefix: string): string {
    if (this.cache === undefined) return this.localStorePath(prefix);
    return this.cache.pathOf(prefix);
  }

  /** Whether a reader gets remote objects through the local mirror (an S3 lake). */
  get mirrorsObjects(): boolean {
    return this.cache !== undefined;
  }

  /** The `s3://bucket/key` URL of a key (what Redshift COPY and UNLOAD take); undefined for a local lake. */
  urlOf(key: string): string | undefined {
    const store = this.store as ObjectStore & { urlOf?: (key: string) => string };
    return store.urlOf?.(key);
  }

  /** The server-side encryption every object written to an S3 lake carries (config `s3.sse`). */
  get serverSideEncryption(): ServerSideEncryption | undefined {
    return (this.store as ObjectStore & { encryption?: ServerSideEncryption }).encryption;
  }

  /** The lake key of an `s3://` URL inside this lake (an UNLOAD manifest lists URLs). */
  keyOfUrl(url: string): string {
    const root = this.urlOf('x')?.slice(0, -1);
    if (!root || !url.startsWith(root))
      throw new Error(`${url} is not an object of the lake ${this.location}`);
    return url.slice(root.length);
  }

  /**
   * Runs `fn` as the lake's one writer: the lease is taken (waiting for another writer) unless this process
   * already holds it, and released when the outermost call ends. Every commit runs inside.
   */
  async withWriterLease<T>(
    fn: (lease: WriterLease) => Promise<T>,
    options: { signal?: AbortSignal } = {},
  ): Promise<T> {
    const held = this.heldLease.getStore();
    if (held) return fn(held);
    const { signal } = options;
    signal?.throwIfAborted();
    // Concurrent writers of one process (a backfill's dates, a worker's --concurrency) take turns as two
    // processes would: each would otherwise reuse the other's lease and commit the same log version.
    const previous = this.writerTurn;
    let done!: () => void;
    this.writerTurn = new Promise((resolve) => {
      done = resolve;
    });
    try {
      await untilAborted(previous, signal);
    } catch (error) {
      // Given up while waiting: the turn passes on when the writer before ends, as if taken and left at once.
      void previous.then(done);
      throw error;
    }
    try {
      const lease = await this.leases.acquire(signal);
      try {
        await this.sweepScratch();
        return await this.heldLease.run(lease, () => fn(lease));
      } finally {
        if (this.leases.releasesLease) await lease.release();
      }
    } finally {
      done();
    }
  }

  /** The lease of the enclosing {@link withWriterLease}; a write outside one is a programming error. */
  get lease(): WriterLease {
    const held = this.heldLease.getStore();
    if (!held) throw new Error('lake writes need the writer lease: call them inside withWriterLease');
    return held;
  }

  /** Finishes multi-table commits a writer stopped after their commit point; returns them. */
  recover(): Promise<RecoveredTransaction[]> {
    return recoverTransactions(this.store, { lease: this.lease });
  }

  /**
   * Publishes objects already put, all or nothing (commit-log/commit-tables.ts), under the writer lease.
   */
  commit(
    changes: readonly TableChange[],
    options: Omit<CommitOptions, 'lease' | 'retentionHours'>,
  ): Promise<CommitResult> {
    return commitTables(this.store, changes, {
      ...options,
      lease: this.lease,
      retentionHours: this.retentionHours,
    });
  }

  /**
   * Puts a local work file as `key`. The file is the caller's no longer: a local lake moves it into place; an
   * S3 lake uploads it and keeps it as the cached copy when `keepLocalCopy` (a later task reads it next).
   */
  async upload(key: string, path: string, options: { keepLocalCopy?: boolean } = {}): Promise<ObjectInfo> {
    const info = await this.store.putFile(key, path, { consumeSource: true });
    if (this.cache !== undefined) {
      if (options.keepLocalCopy) await this.cache.adopt(path, info);
      else await rm(path, { force: true });
    }
    return info;
  }

  /** A fresh folder for a writer's work files; removed by {@link releaseScratch}, or swept once its process died. */
  async scratch(purpose: string): Promise<string> {
    const dir = join(this.scratchRoot, `${purpose}-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async releaseScratch(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }

  /** Deletes superseded and never-committed objects of `tables` older than the retention period. */
  vacuum(
    tables: readonly string[],
    options: { dryRun?: boolean; retentionHours?: number; now?: () => number } = {},
  ): Promise<VacuumResult[]> {
    return vacuumTables(this.store, tables, {
      lease: this.lease,
      retentionHours: options.retentionHours ?? this.retentionHours,
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
  }

  async close(): Promise<void> {
    this.cache?.close();
    await this.store.close();
  }

  private localStorePath(key: string): string {
    const store = this.store as ObjectStore & { pathOf?: (key: string) => string };
    if (!store.pathOf) throw new Error(`the lake ${this.location} has no local files and no cache`);
    return store.pathOf(key);
  }

  /** Work folders of writers on this host whose process is gone (killed mid-write). */
  private async sweepScratch(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.scratchRoot);
    } catch {
      return;
    }
    const host = hostname();
    for (const name of names) {
      const match = /-(\d+)-[0-9a-f]{8}$/.exec(name);
      if (!match || !name.includes(`-${host}-`)) continue;
      if (!isProcessAlive(Number(match[1])))
        await rm(join(this.scratchRoot, name), { recursive: true, force: true });
    }
  }
}

/** The default writer lease: `_leases/lake.json` in the lake, waiting up to a minute for another writer. */
export function objectLeases(store: ObjectStore, options: { waitMs?: number } = {}): LeaseSource {
  return {
    releasesLease: true,
    acquire: (signal) =>
      acquireObjectLease(store, 'lake', {
        ...(signal ? { signal } : {}),
        waitMs: options.waitMs ?? 60_000,
        // A local folder creates the lease atomically (link), so there is no race to settle.
        settleMs: store.kind === 'local' ? 0 : 200,
      }),
  };
}

/** A lease the caller acquired and releases itself (the control plane's writer lease). */
export function heldLease(lease: WriterLease): LeaseSource {
  return { releasesLease: false, acquire: async () => lease };
}
