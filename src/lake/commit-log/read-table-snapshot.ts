/**
 * Resolves a table's latest committed state: the newest checkpoint (via `_last_checkpoint`), then the JSON
 * entries after it, listed from the checkpoint's version on (the log's names sort by version). Each process keeps
 * the last snapshot of every table it read, so a second read only fetches the entries committed since.
 */
import { listAll, type ObjectStore } from '../object-store.ts';
import { readCheckpoint, readLastCheckpoint } from './delta-checkpoint.ts';
import { deltaLogPrefix, logEntryKey, parseLogEntry, versionOfLogEntry } from './delta-log.ts';
import { TableSnapshot } from './table-snapshot.ts';

const cache = new Map<string, TableSnapshot>();

export interface ReadSnapshotOptions {
  /** Ignore this process's cached snapshot (tests measure the cold read). */
  noCache?: boolean;
}

export async function readTableSnapshot(
  store: ObjectStore,
  table: string,
  options: ReadSnapshotOptions = {},
): Promise<TableSnapshot> {
  const cacheKey = `${store.location}\u0000${table}`;
  let snapshot = options.noCache ? undefined : cache.get(cacheKey);
  if (!snapshot) {
    const pointer = await readLastCheckpoint(store, table);
    snapshot = pointer ? await readCheckpoint(store, table, pointer.version) : TableSnapshot.empty(table);
  }
  const versions: number[] = [];
  const startAfter = snapshot.version >= 0 ? logEntryKey(table, snapshot.version) : undefined;
  for await (const object of listAll(store, deltaLogPrefix(table), startAfter ? { startAfter } : {})) {
    const version = versionOfLogEntry(object.key);
    if (version !== undefined && version > snapshot.version) versions.push(version);
  }
  versions.sort((a, b) => a - b);
  for (const version of versions) {
    if (version !== snapshot.version + 1) {
      throw new Error(
        `the Delta log of ${table} misses version ${snapshot.version + 1} (next is ${version}); the table needs repair`,
      );
    }
    const key = logEntryKey(table, version);
    snapshot = snapshot.apply(version, parseLogEntry((await store.get(key)).toString('utf8'), key));
  }
  cache.set(cacheKey, snapshot);
  return snapshot;
}

/** Forgets cached snapshots (tests that rewrite a lake behind the cache's back). */
export function clearSnapshotCache(): void {
  cache.clear();
}
