/**
 * The bronze partitions of a range of dates as the lake holds them now, by date and dataset: each one's
 * fingerprint (planner/bronze-fingerprint.ts) and row count, from one committed snapshot per dataset (no
 * manifest reads), so `plan` over years of dates stays fast. Runs record the fingerprints of their date; `plan`
 * compares them to say `new bronze`.
 */
import type { IsoDate } from '../core/dates.ts';
import type { Lake } from '../lake/lake.ts';
import { BRONZE_DATASETS, bronzeTable } from '../lake/lake-layout.ts';
import { bronzeFilesFingerprint } from './planner/bronze-fingerprint.ts';
import type { BronzePartitionNow } from './planner/plan-dates.ts';

export async function bronzeNow(
  lake: Lake,
  from: IsoDate,
  to: IsoDate,
): Promise<Map<string, Record<string, BronzePartitionNow>>> {
  const snapshots = await lake.snapshots(BRONZE_DATASETS.map(bronzeTable));
  const byDate = new Map<string, Record<string, { key: string; size: number; rows: number }[]>>();
  for (const dataset of BRONZE_DATASETS) {
    for (const file of snapshots.get(bronzeTable(dataset))!.files()) {
      const date = file.partitionValues['ingest_date'];
      if (!date || date < from || date > to) continue;
      const datasets = byDate.get(date) ?? {};
      const files = datasets[dataset] ?? [];
      files.push({ key: file.key, size: file.size, rows: file.numRecords ?? 0 });
      datasets[dataset] = files;
      byDate.set(date, datasets);
    }
  }
  return new Map(
    [...byDate].map(([date, datasets]) => [
      date,
      Object.fromEntries(
        Object.entries(datasets).map(([dataset, files]) => [
          dataset,
          {
            fingerprint: bronzeFilesFingerprint(files),
            rows: files.reduce((sum, file) => sum + file.rows, 0),
          },
        ]),
      ),
    ]),
  );
}

/** The fingerprints of one date's bronze, as a run records them (dataset → fingerprint). */
export async function bronzeFingerprintsOf(lake: Lake, date: IsoDate): Promise<Record<string, string>> {
  const partitions = (await bronzeNow(lake, date, date)).get(date) ?? {};
  return Object.fromEntries(Object.entries(partitions).map(([dataset, part]) => [dataset, part.fingerprint]));
}
