/**
 * Deletes the objects of a table that no live commit references, once they are older than the retention period:
 * files removed by a commit more than `retentionHours` ago, and files no commit ever published (a writer that
 * stopped before its commit point) whose last modification is that old. Younger ones stay, so a reader that
 * resolved its files before a commit, and a writer still uploading, both find their objects.
 */
import { listAll, type ObjectStore } from '../object-store.ts';
import { recoverTransactions } from './commit-tables.ts';
import { readTableSnapshot } from './read-table-snapshot.ts';
import type { WriterLease } from './writer-lease.ts';

export interface VacuumOptions {
  lease: WriterLease;
  retentionHours: number;
  /** List what would go without deleting anything. */
  dryRun?: boolean;
  now?: () => number;
}

export interface VacuumResult {
  table: string;
  /** Keys deleted (or, with dryRun, that would be). */
  deleted: string[];
  /** Unreferenced objects kept because they are younger than the retention period. */
  keptYoung: number;
}

export async function vacuumTables(
  store: ObjectStore,
  tables: readonly string[],
  options: VacuumOptions,
): Promise<VacuumResult[]> {
  // A committed but unfinished multi-table commit references files its tables' logs do not show yet.
  await recoverTransactions(store, { lease: options.lease });
  const cutoff = (options.now ?? Date.now)() - options.retentionHours * 3_600_000;
  const results: VacuumResult[] = [];
  for (const table of tables) {
    const snapshot = await readTableSnapshot(store, table);
    if (!snapshot.exists) {
      results.push({ table, deleted: [], keptYoung: 0 });
      continue;
    }
    const referenced = snapshot.keysReferencedSince(cutoff);
    const deletable: string[] = [];
    let keptYoung = 0;
    for await (const object of listAll(store, `${table}/`)) {
      if (referenced.has(object.key) || isHidden(object.key.slice(table.length + 1))) continue;
      if (object.lastModified.getTime() < cutoff) deletable.push(object.key);
      else keptYoung++;
    }
    if (!options.dryRun && deletable.length > 0) {
      await options.lease.assertHeld();
      await store.deleteMany(deletable);
    }
    results.push({ table, deleted: deletable, keptYoung });
  }
  return results;
}

/** `_delta_log/` and other `_`- or `.`-prefixed folders are not data files (Delta's rule for hidden paths). */
function isHidden(relativeKey: string): boolean {
  return relativeKey.split('/').some((segment) => segment.startsWith('_') || segment.startsWith('.'));
}
