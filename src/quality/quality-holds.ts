/**
 * Held ingest dates: a batch that failed an error expectation must reach the marts by no path until an operator
 * accepts it or a rerun passes (DESIGN.md §5.9). The lake keeps one record per held date
 * (`<lake>/_quality/holds/ingest_date=D.json`, the truth, which survives a new warehouse) and every warehouse
 * gets a copy in `audit.quality_holds`, which the models' silver relations exclude rows by
 * (pipeline/macros/quality_holds.sql): on every engine, for incremental runs, later dates and full refreshes.
 *
 * A record is `held` until a run of that date passes or is accepted; it is then `released` (the filter lets the
 * rows through) and deleted once that run has loaded them, so a run that fails after the release still loads
 * the whole batch next time.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IsoDate } from '../core/dates.ts';
import type { LakeLayout } from '../lake/lake-layout.ts';
import type { Relation, Warehouse } from '../warehouse/warehouse.ts';

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

function holdsDir(lake: LakeLayout): string {
  return join(lake.quality(), 'holds');
}

function holdPath(lake: LakeLayout, ingestDate: IsoDate): string {
  return join(holdsDir(lake), `ingest_date=${ingestDate}.json`);
}

export function readHolds(lake: LakeLayout): QualityHold[] {
  const dir = holdsDir(lake);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /^ingest_date=\d{4}-\d{2}-\d{2}\.json$/.test(name))
    .sort()
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as QualityHold);
}

export function readHold(lake: LakeLayout, ingestDate: IsoDate): QualityHold | undefined {
  const path = holdPath(lake, ingestDate);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as QualityHold) : undefined;
}

export async function writeHold(lake: LakeLayout, hold: QualityHold): Promise<void> {
  const path = holdPath(lake, hold.ingest_date);
  await mkdir(holdsDir(lake), { recursive: true });
  const staged = `${path}.tmp-${process.pid}`;
  await writeFile(staged, `${JSON.stringify(hold, null, 2)}\n`);
  await rename(staged, path);
}

export async function deleteHold(lake: LakeLayout, ingestDate: IsoDate): Promise<void> {
  await rm(holdPath(lake, ingestDate), { force: true });
}

/** Creates `audit.quality_holds` when missing, so the models' filter always has a table to read. */
export async function ensureHoldsTable(warehouse: Warehouse): Promise<void> {
  await warehouse.ensureSchema(AUDIT_QUALITY_HOLDS.schema);
  await warehouse.execute(
    `create table if not exists ${warehouse.quoteRelation(AUDIT_QUALITY_HOLDS)} (ingest_date date, status varchar(16), run_id varchar(128), held_at timestamp, released_by_run varchar(128), accepted boolean, reasons varchar(65535))`,
  );
}

/** Replaces `audit.quality_holds` by the lake's records, in one transaction (a handful of rows). */
export async function syncHoldsToWarehouse(warehouse: Warehouse, lake: LakeLayout): Promise<QualityHold[]> {
  const holds = readHolds(lake);
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
