/**
 * The gate's results in the lake, beside the ledger: `<lake>/_quality/results/ingest_date=D/<run_id>.json`, one
 * file per run, never overwritten by another run (a retried task rewrites its own file with the same content).
 * They are the history the relative expectations compare with — the trailing days' metrics, so no run ever
 * rescans old silver — and what `quality docs` renders.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addDays, type IsoDate } from '../core/dates.ts';
import type { LakeLayout } from '../lake/lake-layout.ts';
import type { QualityGateResult, QualityHistoryDay } from './quality-result.ts';

/** A gate result as the lake keeps it: with the operator's decision. */
export interface QualityRunRecord extends QualityGateResult {
  /** The run loaded the batch although error expectations failed (`run --accept-quality-failures`). */
  accepted: boolean;
}

export function qualityResultsDir(lake: LakeLayout): string {
  return join(lake.quality(), 'results');
}

export function qualityResultsPath(lake: LakeLayout, ingestDate: IsoDate, runId: string): string {
  return join(qualityResultsDir(lake), `ingest_date=${ingestDate}`, `${safeName(runId)}.json`);
}

/** Written beside its final name and renamed into place, so a reader never sees half a file. */
export async function writeQualityRecord(lake: LakeLayout, record: QualityRunRecord): Promise<string> {
  const path = qualityResultsPath(lake, record.ingestDate, record.runId);
  await mkdir(join(path, '..'), { recursive: true });
  const staged = `${path}.tmp-${process.pid}`;
  await writeFile(staged, `${JSON.stringify(record, null, 2)}\n`);
  await rename(staged, path);
  return path;
}

/** Every stored run record, of one ingest date or all, oldest evaluation first. */
export function readQualityRecords(lake: LakeLayout, ingestDate?: IsoDate): QualityRunRecord[] {
  const base = qualityResultsDir(lake);
  if (!existsSync(base)) return [];
  const folders = readdirSync(base).filter((name) =>
    ingestDate ? name === `ingest_date=${ingestDate}` : name.startsWith('ingest_date='),
  );
  const records = folders.flatMap((folder) =>
    readdirSync(join(base, folder))
      .filter((name) => name.endsWith('.json'))
      .map((name) => JSON.parse(readFileSync(join(base, folder, name), 'utf8')) as QualityRunRecord),
  );
  return records.sort((a, b) => a.evaluatedAt.localeCompare(b.evaluatedAt) || a.runId.localeCompare(b.runId));
}

/**
 * The metrics of the `days` ingest dates before `ingestDate`: for each, its latest run whose gate passed or
 * was accepted (a held batch never becomes the norm later days are judged by). Most recent first.
 */
export function readQualityHistory(lake: LakeLayout, ingestDate: IsoDate, days: number): QualityHistoryDay[] {
  const history: QualityHistoryDay[] = [];
  for (let back = 1; back <= days; back++) {
    const date = addDays(ingestDate, -back);
    const usable = readQualityRecords(lake, date).filter(
      (record) => record.outcome === 'passed' || record.accepted,
    );
    const latest = usable.at(-1);
    if (latest) history.push({ ingestDate: date, runId: latest.runId, metrics: latest.metrics });
  }
  return history;
}

function safeName(runId: string): string {
  return runId.replace(/[^A-Za-z0-9_.-]/g, '_');
}
