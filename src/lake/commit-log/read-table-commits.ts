/**
 * A table's history after a version: each committed version with the commit it belongs to (txnId, run id,
 * time) and the files it added and removed, with their partition values. What a consumer that applies commits
 * one by one reads (the warehouse load keeps the last version it applied): the JSON entries of the log, which
 * are never deleted, and the entries of committed multi-table records not yet written to the log.
 */
import { listAll, type ObjectStore } from '../object-store.ts';
import {
  type CommitInfoAction,
  type DeltaAction,
  decodeTablePath,
  deltaLogPrefix,
  logEntryKey,
  parseLogEntry,
  versionOfLogEntry,
} from './delta-log.ts';
import { readPendingRecords, type TransactionRecord } from './transaction-record.ts';

/** A file a commit added or removed: its lake key and partition values. */
export interface CommittedFile {
  key: string;
  partitionValues: Record<string, string | null>;
}

export interface TableCommit {
  table: string;
  version: number;
  /** The (possibly multi-table) commit this version belongs to: the same in every table it changed. */
  txnId: string;
  runId: string;
  /** When it was committed (ms since the epoch). */
  timestamp: number;
  adds: CommittedFile[];
  removes: CommittedFile[];
}

/**
 * The versions of `table` after `afterVersion` (-1: all), oldest first. `pending`: the records read once for
 * several tables, so a multi-table commit is seen in all of them or in none.
 */
export async function readTableCommits(
  store: ObjectStore,
  table: string,
  afterVersion: number,
  pending?: readonly TransactionRecord[],
): Promise<TableCommit[]> {
  const records = pending ?? (await readPendingRecords(store));
  const entries = new Map<number, DeltaAction[]>();
  const startAfter = afterVersion >= 0 ? { startAfter: logEntryKey(table, afterVersion) } : {};
  for await (const object of listAll(store, deltaLogPrefix(table), startAfter)) {
    const version = versionOfLogEntry(object.key);
    if (version === undefined || version <= afterVersion) continue;
    entries.set(version, parseLogEntry((await store.get(object.key)).toString('utf8'), object.key));
  }
  for (const record of records) {
    for (const entry of record.entries) {
      if (entry.table === table && entry.version > afterVersion && !entries.has(entry.version))
        entries.set(entry.version, entry.actions);
    }
  }
  const versions = [...entries.keys()].sort((a, b) => a - b);
  versions.forEach((version, index) => {
    if (version !== afterVersion + 1 + index) {
      throw new Error(
        `the Delta log of ${table} misses version ${afterVersion + 1 + index} (next is ${version}); the table needs repair`,
      );
    }
  });
  return versions.map((version) => commitOf(table, version, entries.get(version)!));
}

function commitOf(table: string, version: number, actions: readonly DeltaAction[]): TableCommit {
  const info = actions.find(
    (action): action is { commitInfo: CommitInfoAction } => 'commitInfo' in action,
  )?.commitInfo;
  const keyOf = (path: string) => `${table}/${decodeTablePath(path)}`;
  const commit: TableCommit = {
    table,
    version,
    txnId: info?.txnId ?? `version-${version}`,
    runId: info?.operationParameters['runId'] ?? info?.txnId ?? `version-${version}`,
    timestamp: info?.timestamp ?? 0,
    adds: [],
    removes: [],
  };
  for (const action of actions) {
    if ('add' in action)
      commit.adds.push({ key: keyOf(action.add.path), partitionValues: action.add.partitionValues });
    else if ('remove' in action)
      commit.removes.push({
        key: keyOf(action.remove.path),
        partitionValues: action.remove.partitionValues ?? {},
      });
  }
  return commit;
}
