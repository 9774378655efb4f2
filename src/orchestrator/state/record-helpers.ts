/** Row → record helpers both state stores share, so their records compare equal in the contract suite. */
import type { IsoDate } from '../../core/dates.ts';
import type { NewTry, PartitionFreshness } from './state-store.ts';

export type Row = Record<string, unknown>;

/** One entry per partition date that has a write or a build, by date. */
export function mergeFreshness(writes: Row[], builds: Row[]): PartitionFreshness[] {
  const byDate = new Map<string, PartitionFreshness>();
  const entry = (date: string) => {
    let found = byDate.get(date);
    if (!found) {
      found = { partitionDate: date as IsoDate };
      byDate.set(date, found);
    }
    return found;
  };
  for (const row of writes) {
    entry(String(row['partition_date'])).lastWrite = {
      commit: Number(row['commit_number']),
      runId: String(row['run_id']),
      dataset: String(row['dataset']),
    };
  }
  for (const row of builds) {
    entry(String(row['partition_date'])).lastBuild = {
      silverCommit: Number(row['silver_commit']),
      runId: String(row['run_id']),
    };
  }
  return [...byDate.values()].sort((a, b) => a.partitionDate.localeCompare(b.partitionDate));
}

/** Drops undefined fields, so records compare equal across engines (`toEqual`) and print cleanly. */
export function compact<T extends object>(record: T): T {
  for (const key of Object.keys(record) as (keyof T)[]) {
    if (record[key] === undefined) delete record[key];
  }
  return record;
}

/** Why a queued try cannot start: its instance moved on (a duplicate or stale job), or never was queued. */
export function notQueuedMessage(newTry: NewTry, instance: Row | undefined): string {
  const what = `try ${newTry.tryNumber} of task ${newTry.task} in run ${newTry.runId}`;
  if (!instance) return `${what} was never queued (the run has no such task instance)`;
  return (
    `${what} is no longer queued: the task is ${String(instance['state'])} at try ${Number(instance['try_number'])}` +
    ' (a job delivered twice, or one of an earlier try)'
  );
}
