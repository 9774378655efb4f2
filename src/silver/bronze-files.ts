/**
 * The files of a bronze transactions partition, in the order that decides which of two versions is newer:
 * by file name (part-00000, part-00001, …), then line.
 */
import { join, relative } from 'node:path';
import type { IsoDate } from '../core/dates.ts';
import { PipelineError } from '../core/errors.ts';
import type { BronzeDataset, LakeLayout } from '../lake/lake-layout.ts';
import { type BronzeManifest, readManifest } from '../lake/manifest.ts';
import type { BronzeFile } from './bronze-line-reader.ts';

export function bronzeFileFormat(name: string): Pick<BronzeFile, 'format' | 'gzip'> | undefined {
  const gzip = name.endsWith('.gz');
  const base = gzip ? name.slice(0, -3) : name;
  if (base.endsWith('.jsonl') || base.endsWith('.json') || base.endsWith('.ndjson'))
    return { format: 'jsonl', gzip };
  if (base.endsWith('.csv')) return { format: 'csv', gzip };
  return undefined;
}

export interface BronzePartitionFiles {
  manifest: BronzeManifest;
  files: BronzeFile[];
}

export async function listBronzeFiles(
  layout: LakeLayout,
  dataset: BronzeDataset,
  ingestDate: IsoDate,
): Promise<BronzePartitionFiles | undefined> {
  const dir = layout.bronzePartition(dataset, ingestDate);
  const manifest = await readManifest(dir);
  if (!manifest) return undefined;
  const entries = [...manifest.files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files = entries.map(({ name, rows }, fileNo) => {
    const format = bronzeFileFormat(name);
    if (!format) {
      throw new PipelineError(
        `bronze file ${dataset}/ingest_date=${ingestDate}/${name} has an unknown format`,
      );
    }
    const path = join(dir, name);
    return { fileNo, path, sourceFile: relative(layout.root, path), manifestRows: rows, ...format };
  });
  return { manifest, files };
}

/**
 * Refuses a bronze file that yields fewer records than its manifest counted when it was written: it lost some
 * since (DuckDB reads a truncated gzip without an error, up to where it breaks off). Silver stops rather than
 * lose records silently; more records than counted (a line break a reader splits differently) loses nothing.
 */
export function assertNoRecordsLost(file: BronzeFile, recordsRead: number): void {
  if (recordsRead < file.manifestRows) {
    throw new PipelineError(
      `bronze file ${file.sourceFile} yields ${recordsRead} records where its manifest counted ${file.manifestRows}: ` +
        'it is truncated or corrupt (restore it from its source; silver does not process a partial file)',
    );
  }
}
