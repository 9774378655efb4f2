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
  const names = manifest.files.map((file) => file.name).sort();
  const files = names.map((name, fileNo) => {
    const format = bronzeFileFormat(name);
    if (!format) {
      throw new PipelineError(
        `bronze file ${dataset}/ingest_date=${ingestDate}/${name} has an unknown format`,
      );
    }
    const path = join(dir, name);
    return { fileNo, path, sourceFile: relative(layout.root, path), ...format };
  });
  return { manifest, files };
}
