/**
 * Resolves a table's latest committed state: the newest checkpoint (via `_last_checkpoint`), then the JSON
 * entries after it, listed from the checkpoint's version on (the log's names sort by version), then the entries
 * of committed multi-table records not yet written to the log (transaction-record.ts). Each process keeps the
 * last snapshot of every table it read, so a second read only fetches the entries committed since.
 */
import { listAll, type ObjectStore } from '../object-store.ts';
import { readCheckpoint, readLastCheckpoint } from './delta-checkpoint.ts';
import { deltaLogPrefix, logEntryKey, parseLogEntry, versionOfLogEntry } from './delta-log.ts';
import { TableSnapshot } from './table-snapshot.ts';
import { readPendingRecords, type TransactionRecord } from './transaction-record.ts';

const cache = new Map<string, TableSnapshot>();

export interface ReadSnapshotOptions {
  /** Ignore this process's cached snapshot (tests measure the cold read). */
  noCache?: boolean;
  /**
   * The pending records, read once by a caller that resolves several tables
   * ({@link readTableSnapshots}); read here when absent.
   */
  pending?: readonly TransactionRecord[];
}

export async function readTableSnapshot(
  store: ObjectStore,
  table: string,
  options: ReadSnapshotOptions = {},
): Promise<TableSnapshot> {
  // Records first: a record gone by the time of the log listing below had all its entries written before.
  const pending = options.pending ?? (await readPendingRecords(store));
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
    if (version !== snapshot.version + 1) throw missingVersion(table, snapshot.version + 1, version);
    const key = logEntryKey(table, version);
    snapshot = snapshot.apply(version, parseLogEntry((await store.get(key)).toString('utf8'), key));
  }
  const committed = pending
    .flatMap((record) => record.entries)
    .filter((entry) => entry.table === table && entry.version > snapshot!.version)
    .sort((a, b) => a.version - b.version);
  for (const entry of committed) {
    if (entry.version !== snapshot.version + 1)
      throw missingVersion(table, snapshot.version + 1, entry.version);
    snapshot = snapshot.apply(entry.version, entry.actions);
  }
  cache.set(cacheKey, snapshot);
  return snapshot;
}

/**
 * Several tables at once, with one read of the pending records, so a multi-table commit is seen in all of them
 * or in none.
 */
export async function readTableSnapshots(
  store: ObjectStore,
  tables: readonly string[],
): Promise<Map<string, TableSnapshot>> {
  const pending = await readPendingRecords(store);
  const snapshots = new Map<string, TableSnapshot>();
  for (const table of tables) snapshots.set(table, await readTableSnapshot(store, table, { pending }));
  return snapshots;
}

/** Forgets cached snapshots (tests that rewrite a lake behind the cache's back). */
export function clearSnapshotCache(): void {
  cache.clear();
}

function missingVersion(table: string, expected: number, found: number): Error {
  return new Error(
    `the Delta log of ${table} misses version ${expected} (next is ${found}); the table needs repair`,
  );
}
