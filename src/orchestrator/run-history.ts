/**
 * `audit.runs`: one row per daily run, kept in the warehouse beside the data it describes. Its high-water mark
 * (the latest logical date that succeeded) is the date the customer marts are computed as of, so a backfill of
 * an old date never rolls RFM or lifetime value back in time, and any processing order ends in the same marts.
 */
import type { IsoDate } from '../core/dates.ts';
import type { Relation, Warehouse } from '../warehouse/warehouse.ts';

export const AUDIT_RUNS: Relation = { schema: 'audit', name: 'runs' };

export interface RunRecord {
  runId: string;
  logicalDate: IsoDate;
  asOfDate: IsoDate;
  status: 'succeeded' | 'failed';
  startedAt: Date;
  finishedAt: Date;
  /** The run's task reports and counts, as JSON. */
  summary: unknown;
}

async function ensureRunsTable(warehouse: Warehouse): Promise<void> {
  await warehouse.ensureSchema(AUDIT_RUNS.schema);
  await warehouse.execute(
    `create table if not exists ${warehouse.quoteRelation(AUDIT_RUNS)} (
       run_id varchar, logical_date date, as_of_date date, status varchar,
       started_at timestamp, finished_at timestamp, summary varchar)`,
  );
}

/** The latest logical date with a successful run, or undefined before the first one. */
export async function latestSucceededDate(warehouse: Warehouse): Promise<IsoDate | undefined> {
  await ensureRunsTable(warehouse);
  const { rows } = await warehouse.query(
    `select max(logical_date) as latest from ${warehouse.quoteRelation(AUDIT_RUNS)} where status = 'succeeded'`,
  );
  return (rows[0]?.['latest'] ?? undefined) as IsoDate | undefined;
}

/** The as-of date for a run of `logicalDate`: the later of it and the high-water mark. */
export function asOfDateFor(logicalDate: IsoDate, latestSucceeded: IsoDate | undefined): IsoDate {
  return latestSucceeded !== undefined && latestSucceeded > logicalDate ? latestSucceeded : logicalDate;
}

export async function recordRun(warehouse: Warehouse, record: RunRecord): Promise<void> {
  await ensureRunsTable(warehouse);
  await warehouse.insertRows(
    AUDIT_RUNS,
    ['run_id', 'logical_date', 'as_of_date', 'status', 'started_at', 'finished_at', 'summary'],
    [
      [
        record.runId,
        record.logicalDate,
        record.asOfDate,
        record.status,
        record.startedAt.toISOString().replace('T', ' ').replace('Z', ''),
        record.finishedAt.toISOString().replace('T', ' ').replace('Z', ''),
        JSON.stringify(record.summary),
      ],
    ],
  );
}
