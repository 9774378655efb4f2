/**
 * The as-of rule of the customer marts, read from the state store: a run of logical date D builds RFM, lifetime
 * value and cohorts as of `max(D, latest succeeded logical date)`, so a backfill of an old date never rolls those
 * marts back in time, and any processing order ends in the same marts.
 */
import type { IsoDate } from '../core/dates.ts';
import type { StateStore } from './state/state-store.ts';

/** The latest logical date of `dag` with a successful run, or undefined before the first one. */
export async function latestSucceededDate(store: StateStore, dag: string): Promise<IsoDate | undefined> {
  let latest: IsoDate | undefined;
  for (const run of await store.listRuns({ dag, states: ['success'] })) {
    if (latest === undefined || run.logicalDate > latest) latest = run.logicalDate;
  }
  return latest;
}

/** The as-of date for a run of `logicalDate`: the later of it and the high-water mark. */
export function asOfDateFor(logicalDate: IsoDate, latestSucceeded: IsoDate | undefined): IsoDate {
  return latestSucceeded !== undefined && latestSucceeded > logicalDate ? latestSucceeded : logicalDate;
}
