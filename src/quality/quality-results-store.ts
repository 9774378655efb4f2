/**
 * The gate's results in the lake, beside the ledger: table `_quality/results`, one JSON record per gate run and
 * ingest date (`ingest_date=D/<run>@<tag>.json`), published through the lake's commit log like the ledger's
 * entries. A name is never reused; a retried task of the same run replaces its own record, other runs' records
 * stay. They are the history the relative expectations compare with — the trailing days' metrics, so no run
 * ever rescans old silver — and what `quality docs` renders. Readers take the records the committed snapshot
 * lists, never a folder listing.
 */
import { randomUUID } from 'node:crypto';
import { addDays, type IsoDate } from '../core/dates.ts';
import type { TableChange, TableDefinition } from '../lake/commit-log/commit-tables.ts';
import type { TableSnapshot } from '../lake/commit-log/table-snapshot.ts';
import type { Lake } from '../lake/lake.ts';
import { baseName, partitionFolder, QUALITY_RESULTS_TABLE } from '../lake/lake-layout.ts';
import type { QualityGateResult, QualityHistoryDay } from './quality-result.ts';

/** A gate result as the lake keeps it: with the operator's decision. */
export interface QualityRunRecord extends QualityGateResult {
  /** The run loaded the batch although error expectations failed (`run --accept-quality-failures`). */
  accepted: boolean;
}

/**
 * The results table as its log declares it. The records are JSON documents (format `json`, like the ledger):
 * the schema names the partition column and the scalar fields a reader filters on.
 */
export const QUALITY_RESULTS_DEFINITION: TableDefinition = {
  table: QUALITY_RESULTS_TABLE,
  partitionColumns: ['ingest_date'],
  format: 'json',
  columns: [
    { name: 'runId', type: 'VARCHAR' },
    { name: 'evaluatedAt', type: 'VARCHAR' },
    { name: 'outcome', type: 'VARCHAR' },
    { name: 'accepted', type: 'BOOLEAN' },
    { name: 'ingest_date', type: 'DATE' },
  ],
};

/**
 * Puts `record` under a new name and returns the change that publishes it, replacing the record this run wrote
 * for the date before (a retried quality task). Call under the writer lease, then commit the change.
 */
export async function putQualityRecord(lake: Lake, record: QualityRunRecord): Promise<TableChange> {
  const partitionValues = { ingest_date: record.ingestDate };
  const name = `${safeName(record.runId)}@${randomUUID().slice(0, 8)}.json`;
  const key = `${QUALITY_RESULTS_TABLE}/${partitionFolder(partitionValues)}/${name}`;
  const earlier = (await lake.snapshot(QUALITY_RESULTS_TABLE))
    .files(partitionValues)
    .filter((file) => baseName(file.key).startsWith(`${safeName(record.runId)}@`))
    .map((file) => file.key);
  const info = await lake.store.put(key, `${JSON.stringify(record, null, 2)}\n`);
  return {
    definition: QUALITY_RESULTS_DEFINITION,
    add: [{ key: info.key, partitionValues, size: info.size, numRecords: 1 }],
    remove: earlier,
  };
}

/** Every committed run record, of one ingest date or all, oldest evaluation first. */
export async function readQualityRecords(lake: Lake, ingestDate?: IsoDate): Promise<QualityRunRecord[]> {
  const snapshot = await lake.snapshot(QUALITY_RESULTS_TABLE);
  return recordsOf(lake, snapshot, ingestDate ? [ingestDate] : undefined);
}

/**
 * The metrics of the `days` ingest dates before `ingestDate`: for each, its latest run whose gate passed or
 * was accepted (a held batch never becomes the norm later days are judged by). Most recent first.
 */
export async function readQualityHistory(
  lake: Lake,
  ingestDate: IsoDate,
  days: number,
): Promise<QualityHistoryDay[]> {
  const dates = Array.from({ length: days }, (_, index) => addDays(ingestDate, -(index + 1)));
  const records = await recordsOf(lake, await lake.snapshot(QUALITY_RESULTS_TABLE), dates);
  const history: QualityHistoryDay[] = [];
  for (const date of dates) {
    const latest = records
      .filter((record) => record.ingestDate === date && (record.outcome === 'passed' || record.accepted))
      .at(-1);
    if (latest) history.push({ ingestDate: date, runId: latest.runId, metrics: latest.metrics });
  }
  return history;
}

async function recordsOf(
  lake: Lake,
  snapshot: TableSnapshot,
  dates: readonly IsoDate[] | undefined,
): Promise<QualityRunRecord[]> {
  const files = dates ? dates.flatMap((date) => snapshot.files({ ingest_date: date })) : snapshot.files();
  const records = await Promise.all(
    files.map(
      async (file) => JSON.parse((await lake.store.get(file.key)).toString('utf8')) as QualityRunRecord,
    ),
  );
  return records.sort((a, b) => a.evaluatedAt.localeCompare(b.evaluatedAt) || a.runId.localeCompare(b.runId));
}

/** A run id as a name part: characters outside [A-Za-z0-9_.-] become `_`. */
function safeName(runId: string): string {
  return runId.replace(/[^A-Za-z0-9_.-]/g, '_');
}
