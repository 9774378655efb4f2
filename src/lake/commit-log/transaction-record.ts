/**
 * The record of a multi-table commit (`_transactions/<txnId>.json`): its put is the commit point, so while it
 * exists its entries are committed even where a table's log does not show them yet. Writers finish it
 * (commit-tables.ts: recoverTransactions); readers apply it (read-table-snapshot.ts), so no reader ever sees
 * some tables of a commit and not the others, even after a writer died half-way.
 */
import { ObjectNotFoundError, type ObjectStore } from '../object-store.ts';
import type { DeltaAction } from './delta-log.ts';

export interface TransactionRecord {
  txnId: string;
  /** The run that committed it (older records may lack it). */
  runId?: string;
  createdAt: number;
  entries: { table: string; version: number; actions: DeltaAction[] }[];
}

export const TRANSACTIONS_PREFIX = '_transactions/';

export function recordKey(txnId: string): string {
  return `${TRANSACTIONS_PREFIX}${txnId}.json`;
}

/** Every committed record not yet finished, oldest first; a record finished meanwhile is skipped. */
export async function readPendingRecords(store: ObjectStore): Promise<TransactionRecord[]> {
  const page = await store.list(TRANSACTIONS_PREFIX);
  const records: TransactionRecord[] = [];
  for (const object of page.objects) {
    try {
      records.push(JSON.parse((await store.get(object.key)).toString('utf8')) as TransactionRecord);
    } catch (error) {
      // Finished and deleted between the listing and the read: its entries are in the logs by now.
      if (!(error instanceof ObjectNotFoundError)) throw error;
    }
  }
  return records.sort((a, b) => a.createdAt - b.createdAt);
}
