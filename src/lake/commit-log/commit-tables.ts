/**
 * How a writer publishes objects it already put (under names never reused) to one or more tables, all or
 * nothing. A one-table commit's point is its log entry `<table>/_delta_log/<version>.json`, put with `ifAbsent`.
 * A commit over several tables first puts one transaction record `_transactions/<txnId>.json` listing every
 * table's next entry (the commit point), then the entries, then deletes the record; the next writer finishes
 * any record it finds (`recoverTransactions`). A crash before the commit point leaves only unreferenced objects,
 * which vacuum deletes after the retention period. Every commit runs under a {@link WriterLease}.
 */
import { randomUUID } from 'node:crypto';
import { PipelineError } from '../../core/errors.ts';
import { ObjectExistsError, type ObjectStore } from '../object-store.ts';
import { readLastCheckpoint, writeCheckpoint } from './delta-checkpoint.ts';
import {
  CHECKPOINT_INTERVAL,
  type ColumnDefinition,
  type CommitInfoAction,
  type DeltaAction,
  deltaSchemaString,
  ENGINE_INFO,
  encodeTablePath,
  logEntryKey,
  parseLogEntry,
  protocolFor,
  serializeLogEntry,
} from './delta-log.ts';
import { readTableSnapshot } from './read-table-snapshot.ts';
import type { TableSnapshot } from './table-snapshot.ts';
import { readPendingRecords, recordKey, type TransactionRecord } from './transaction-record.ts';
import type { WriterLease } from './writer-lease.ts';

/** What a table is: where it lives, how it is partitioned, its columns. Fixed by its first commit. */
export interface TableDefinition {
  /** Lake key of the table's root folder, e.g. `silver/transactions`. */
  table: string;
  partitionColumns: readonly string[];
  columns: readonly ColumnDefinition[];
  /** Data file format (Delta readers read `parquet` tables; bronze's JSON Lines/CSV use the log as a manifest). */
  format?: 'parquet' | 'json' | 'csv';
}

/** An object already put under the table's root, to be published. */
export interface AddedFile {
  key: string;
  partitionValues: Record<string, string>;
  size: number;
  numRecords?: number;
}

export interface TableChange {
  definition: TableDefinition;
  add: readonly AddedFile[];
  /** Lake keys of live files this commit replaces or drops. */
  remove: readonly string[];
}

/** Where a commit is: tests throw from `onStep` to simulate a crash right after that step. */
export type CommitStep =
  | { step: 'before-commit-point' }
  | { step: 'commit-point' }
  | { step: 'entry-written'; table: string; version: number }
  | { step: 'checkpoint-written'; table: string; version: number };

export interface CommitOptions {
  lease: WriterLease;
  /** What the commit does, for commitInfo (`WRITE`, `MERGE`, `DELETE`). */
  operation: string;
  runId: string;
  /** Tombstones older than this are left out of checkpoints (vacuum keeps files removed within it). */
  retentionHours?: number;
  onStep?: (step: CommitStep) => void | Promise<void>;
  now?: () => number;
}

export interface CommitResult {
  txnId: string;
  /** The version each table's commit became. */
  versions: Record<string, number>;
}

/** A multi-table commit its writer did not finish, completed by {@link recoverTransactions}. */
export interface RecoveredTransaction {
  txnId: string;
  /** The run that made the commit (commitInfo's runId). */
  runId: string;
}

export class CommitConflictError extends PipelineError {
  override name = 'CommitConflictError';
}

export async function commitTables(
  store: ObjectStore,
  changes: readonly TableChange[],
  options: CommitOptions,
): Promise<CommitResult> {
  const now = options.now ?? Date.now;
  const onStep = options.onStep ?? (() => undefined);
  const tables = changes.map((change) => change.definition.table);
  if (new Set(tables).size !== tables.length)
    throw new Error(`one commit names a table twice: ${tables.join(', ')}`);
  await recoverTransactions(store, options);

  const txnId = `${options.runId}-${randomUUID().slice(0, 8)}`;
  const entries: TransactionRecord['entries'] = [];
  for (const change of changes) {
    const snapshot = await readTableSnapshot(store, change.definition.table);
    entries.push({
      table: change.definition.table,
      version: snapshot.version + 1,
      actions: actionsOf(change, snapshot, {
        txnId,
        operation: options.operation,
        runId: options.runId,
        now: now(),
      }),
    });
  }

  await onStep({ step: 'before-commit-point' });
  await options.lease.assertHeld();
  if (entries.length === 1) {
    const [entry] = entries;
    await putEntry(store, txnId, entry!);
    await onStep({ step: 'commit-point' });
  } else {
    const record: TransactionRecord = { txnId, runId: options.runId, createdAt: now(), entries };
    await store.put(recordKey(txnId), JSON.stringify(record), { ifAbsent: true });
    await onStep({ step: 'commit-point' });
    await applyRecord(store, record, onStep);
  }
  for (const entry of entries) await checkpointIfDue(store, entry.table, options, onStep);
  return { txnId, versions: Object.fromEntries(entries.map((entry) => [entry.table, entry.version])) };
}

/**
 * Finishes every multi-table commit whose record is still there (its writer stopped after the commit point),
 * and writes checkpoints that a crash left out. Run by every commit before its own, and by vacuum.
 */
export async function recoverTransactions(
  store: ObjectStore,
  options: Pick<CommitOptions, 'lease' | 'onStep'>,
): Promise<RecoveredTransaction[]> {
  const finished: RecoveredTransaction[] = [];
  for (const record of await readPendingRecords(store)) {
    await options.lease.assertHeld();
    await applyRecord(store, record, options.onStep ?? (() => undefined));
    finished.push({ txnId: record.txnId, runId: record.runId ?? record.txnId });
  }
  return finished;
}

async function applyRecord(
  store: ObjectStore,
  record: TransactionRecord,
  onStep: NonNullable<CommitOptions['onStep']>,
): Promise<void> {
  for (const entry of record.entries) {
    await putEntry(store, record.txnId, entry);
    await onStep({ step: 'entry-written', table: entry.table, version: entry.version });
  }
  await store.delete(recordKey(record.txnId));
}

/** Puts a log entry; finds it already there when a crashed writer of the same transaction got that far. */
async function putEntry(
  store: ObjectStore,
  txnId: string,
  entry: TransactionRecord['entries'][number],
): Promise<void> {
  const key = logEntryKey(entry.table, entry.version);
  try {
    await store.put(key, serializeLogEntry(entry.actions), { ifAbsent: true });
  } catch (error) {
    if (!(error instanceof ObjectExistsError)) throw error;
    const existing = parseLogEntry((await store.get(key)).toString('utf8'), key);
    const info = existing.find(
      (action): action is { commitInfo: CommitInfoAction } => 'commitInfo' in action,
    );
    if (info?.commitInfo.txnId !== txnId) {
      throw new CommitConflictError(
        `commit conflict: version ${entry.version} of ${entry.table} was written by another writer (${info?.commitInfo.txnId ?? 'unknown'}), not by ${txnId}; writers must hold the lake lease`,
      );
    }
  }
}

async function checkpointIfDue(
  store: ObjectStore,
  table: string,
  options: CommitOptions,
  onStep: NonNullable<CommitOptions['onStep']>,
): Promise<void> {
  const snapshot = await readTableSnapshot(store, table);
  const last = await readLastCheckpoint(store, table);
  const due = Math.floor(snapshot.version / CHECKPOINT_INTERVAL) * CHECKPOINT_INTERVAL;
  if (due === 0 || (last && last.version >= due)) return;
  // Checkpoint the latest version: a missed checkpoint (crash) is caught up by the next commit.
  const retentionMs = (options.retentionHours ?? 168) * 3_600_000;
  await writeCheckpoint(store, snapshot, (options.now ?? Date.now)() - retentionMs);
  await onStep({ step: 'checkpoint-written', table, version: snapshot.version });
}

function actionsOf(
  change: TableChange,
  snapshot: TableSnapshot,
  commit: { txnId: string; operation: string; runId: string; now: number },
): DeltaAction[] {
  const { definition } = change;
  const root = `${definition.table}/`;
  const actions: DeltaAction[] = [];
  const schemaString = deltaSchemaString(definition.columns);
  if (!snapshot.exists) {
    actions.push({ protocol: protocolFor(schemaString) });
  } else if (snapshot.partitionColumns.join('\u0000') !== definition.partitionColumns.join('\u0000')) {
    throw new Error(
      `${definition.table} is partitioned by (${snapshot.partitionColumns.join(', ')}), not (${definition.partitionColumns.join(', ')})`,
    );
  }
  if (!snapshot.exists || snapshot.metadata?.schemaString !== schemaString) {
    actions.push({
      metaData: {
        id: snapshot.metadata?.id ?? randomUUID(),
        format: { provider: definition.format ?? 'parquet', options: {} },
        schemaString,
        partitionColumns: [...definition.partitionColumns],
        configuration: {},
        createdTime: snapshot.metadata?.createdTime ?? commit.now,
      },
    });
  }
  const relative = (key: string) => {
    if (!key.startsWith(root)) throw new Error(`file ${key} is not under table ${definition.table}`);
    return encodeTablePath(key.slice(root.length));
  };
  const added = new Set(change.add.map((file) => file.key));
  const both = change.remove.filter((key) => added.has(key));
  if (both.length > 0)
    throw new Error(`one commit both adds and removes ${both[0]}: data objects get new names`);
  const live = new Map(snapshot.files().map((file) => [file.key, file]));
  for (const key of change.remove) {
    const file = live.get(key);
    if (!file)
      throw new CommitConflictError(`cannot remove ${key}: it is not a live file of ${definition.table}`);
    actions.push({
      remove: {
        path: relative(key),
        deletionTimestamp: commit.now,
        dataChange: true,
        extendedFileMetadata: true,
        partitionValues: file.partitionValues,
        size: file.size,
      },
    });
  }
  for (const file of change.add) {
    const missing = definition.partitionColumns.filter((column) => !(column in file.partitionValues));
    if (missing.length > 0)
      throw new Error(`file ${file.key} has no value for partition column ${missing.join(', ')}`);
    actions.push({
      add: {
        path: relative(file.key),
        partitionValues: file.partitionValues,
        size: file.size,
        modificationTime: commit.now,
        dataChange: true,
        ...(file.numRecords !== undefined ? { stats: JSON.stringify({ numRecords: file.numRecords }) } : {}),
      },
    });
  }
  // commitInfo first, as Spark writes it (and as in-commit timestamps would require).
  actions.unshift({
    commitInfo: {
      timestamp: commit.now,
      operation: change.add.length > 0 || change.remove.length === 0 ? commit.operation : 'DELETE',
      operationParameters: { runId: commit.runId },
      engineInfo: ENGINE_INFO,
      txnId: commit.txnId,
      isBlindAppend: change.remove.length === 0,
    },
  });
  return actions;
}
