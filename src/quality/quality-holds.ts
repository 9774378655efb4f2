/**
 * Held ingest dates: a batch that failed an error expectation must reach the marts by no path until an operator
 * accepts it or a rerun passes (DESIGN.md §5.9). The lake keeps one record per held date (table
 * `_quality/holds`, `ingest_date=D/hold-<run>-<tag>.json`: the truth, which survives a new warehouse) and every
 * warehouse gets a copy in `audit.quality_holds`, which the models' silver relations exclude rows by
 * (pipeline/macros/quality_holds.sql): on every engine, for incremental runs, later dates and full refreshes.
 *
 * A record is `held` until a run of that date passes or is accepted; it is then `released` (the filter lets the
 * rows through) and deleted once that run has loaded them, so a run that fails after the release still loads
 * the whole batch next time. Each change puts a record under a new name and commits it in place of the date's
 * previous one (or removes it): records are never overwritten, and readers see the committed ones only.
 */
import { randomUUID } from 'node:crypto';
import type { IsoDate } from '../core/dates.ts';
import type { TableChange, TableDefinition } from '../lake/commit-log/commit-tables.ts';
import type { Lake } from '../lake/lake.ts';
import { partitionFolder, QUALITY_HOLDS_TABLE } from '../lake/lake-layout.ts';
import type { Relation, Warehouse } from '../warehouse/warehouse.ts';
import { commitQualityChanges } from './commit-quality-changes.ts';

export const AUDIT_QUALITY_HOLDS: Relation = { schema: 'audit', name: 'quality_holds' };

export interface QualityHold {
  ingest_date: IsoDate;
  status: 'held' | 'released';
  /** The run whose gate held the date. */
  run_id: string;
  held_at: string;
  /** Why: the failed expectations (dataset, id, partition, observed value), or the error the gate met. */
  reasons: string[];
  /** The run that released it (passed, or accepted by an operator). */
  released_by_run?: string;
  released_at?: string;
  accepted?: boolean;
}

/** The holds table as its log declares it: JSON records (like the ledger), by ingest date. */
export const QUALITY_HOLDS_DEFINITION: TableDefinition = {
  table: QUALITY_HOLDS_TABLE,
  partitionColumns: ['ingest_date'],
  format: 'json',
  columns: [
    { name: 'status', type: 'VARCHAR' },
    { name: 'run_id', type: 'VARCHAR' },
    { name: 'held_at', type: 'VARCHAR' },
    { name: 'released_by_run', type: 'VARCHAR' },
    { name: 'released_at', type: 'VARCHAR' },
    { name: 'accepted', type: 'BOOLEAN' },
    { name: 'reasons', type: 'VARCHAR[]' },
    { name: 'ingest_date', type: 'DATE' },
  ],
};

/** Every committed hold, by ingest date. */
export async function readHolds(lake: Lake): Promise<QualityHold[]> {
  const files = (await lake.snapshot(QUALITY_HOLDS_TABLE)).files();
  const holds = await Promise.all(
    files.map(async (file) => JSON.parse((await lake.store.get(file.key)).toString('utf8')) as QualityHold),
  );
  return holds.sort((a, b) => a.ingest_date.localeCompare(b.ingest_date));
}

export async function readHold(lake: Lake, ingestDate: IsoDate): Promise<QualityHold | undefined> {
  const [file] = (await lake.snapshot(QUALITY_HOLDS_TABLE)).files({ ingest_date: ingestDate });
  return file ? (JSON.parse((await lake.store.get(file.key)).toString('utf8')) as QualityHold) : undefined;
}

/**
 * Puts `hold` under a new name and returns the change that makes it the date's hold (in place of the one
 * committed before). Call under the writer lease, then commit the change.
 */
export async function putHold(lake: Lake, hold: QualityHold): Promise<TableChange> {
  const partitionValues = { ingest_date: hold.ingest_date };
  const tag = `${hold.run_id.replace(/[^A-Za-z0-9_.-]/g, '_')}-${randomUUID().slice(0, 8)}`;
  const key = `${QUALITY_HOLDS_TABLE}/${partitionFolder(partitionValues)}/hold-${tag}.json`;
  const replaced = await holdKeys(lake, hold.ingest_date);
  const info = await lake.store.put(key, `${JSON.stringify(hold, null, 2)}\n`);
  return {
    definition: QUALITY_HOLDS_DEFINITION,
    add: [{ key: info.key, partitionValues, size: info.size, numRecords: 1 }],
    remove: replaced,
  };
}

/** The change that deletes the date's hold (none to commit when the date has none). */
export async function dropHold(lake: Lake, ingestDate: IsoDate): Promise<TableChange> {
  return { definition: QUALITY_HOLDS_DEFINITION, add: [], remove: await holdKeys(lake, ingestDate) };
}

/** Deletes the hold of a date whose batch is loaded now. */
export function deleteHold(lake: Lake, ingestDate: IsoDate, runId: string): Promise<void> {
  return commitQualityChanges(lake, runId, async () => [await dropHold(lake, ingestDate)]);
}

async function holdKeys(lake: Lake, ingestDate: IsoDate): Promise<string[]> {
  return (await lake.snapshot(QUALITY_HOLDS_TABLE))
    .files({ ingest_date: ingestDate })
    .map((file) => file.key);
}

/** Creates `audit.quality_holds` when missing, so the models' filter always has a table to read. */
export async function ensureHoldsTable(warehouse: Warehouse): Promise<void> {
  await warehouse.ensureSchema(AUDIT_QUALITY_HOLDS.schema);
  await warehouse.execute(
    `create table if not exists ${warehouse.quoteRelation(AUDIT_QUALITY_HOLDS)} (ingest_date date, status varchar(16), run_id varchar(128), held_at timestamp, released_by_run varchar(128), accepted boolean, reasons varchar(65535))`,
  );
}

/** Replaces `audit.quality_holds` by the lake's records, in one transaction (a handful of rows). */
export async function syncHoldsToWarehouse(warehouse: Warehouse, lake: Lake): Promise<QualityHold[]> {
  const holds = await readHolds(lake);
  await ensureHoldsTable(warehouse);
  const table = warehouse.quoteRelation(AUDIT_QUALITY_HOLDS);
  const text = (value: string | undefined) => (value === undefined ? 'null' : warehouse.quoteLiteral(value));
  await warehouse.transaction(async (session) => {
    await session.execute(`delete from ${table}`);
    if (holds.length === 0) return;
    const rows = holds.map(
      (hold) =>
        `(cast(${text(hold.ingest_date)} as date), ${text(hold.status)}, ${text(hold.run_id)}, ` +
        `cast(${text(hold.held_at.replace('T', ' ').replace('Z', ''))} as timestamp), ${text(hold.released_by_run)}, ` +
        `${hold.accepted === undefined ? 'null' : String(hold.accepted)}, ${text(JSON.stringify(hold.reasons).slice(0, 60_000))})`,
    );
    await session.execute(
      `insert into ${table} (ingest_date, status, run_id, held_at, released_by_run, accepted, reasons) values ${rows.join(', ')}`,
    );
  });
  return holds;
}
