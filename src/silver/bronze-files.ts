/**
 * The files of a committed bronze partition as DuckDB reads them (local paths: the objects themselves in a local
 * lake, their cached copies from an S3 lake), in the order that decides which of two versions is newer: by file
 * name (part-00000, part-00001, …), then line.
 */
import type { IsoDate } from '../core/dates.ts';
import { PermanentError } from '../core/errors.ts';
import { readBronzePartition } from '../lake/bronze-partition.ts';
import type { Lake } from '../lake/lake.ts';
import type { BronzeDataset } from '../lake/lake-layout.ts';
import type { BronzeManifest } from '../lake/manifest.ts';
import type { BronzeFile } from './bronze-line-reader.ts';

export function bronzeFileFormat(name: string): Pick<BronzeFile, 'format' | 'gzip'> | undefined {
  const gzip = name.endsWith('.gz');
  const base = gzip ? name.slice(0, -3) : name;
  if (base.endsWith('.jsonl') || base.endsWith('.json') || base.endsWith('.ndjson'))
    return { format: 'jsonl', gzip };
  if (base.endsWith('.csv')) return { format: 'csv', gzip };
  return undefined;
}

/** A file of a committed bronze partition as its commit and manifest describe it, before it is fetched. */
export type BronzeFileEntry = Omit<BronzeFile, 'path'> & {
  /** Size of the object (from the commit log). */
  bytes: number;
};

export interface BronzePartitionEntries {
  manifest: BronzeManifest;
  files: BronzeFileEntry[];
}

export interface BronzePartitionFiles {
  manifest: BronzeManifest;
  files: BronzeFile[];
}

/** The committed partition's files, downloaded first from a remote lake; undefined when none was committed. */
export async function listBronzeFiles(
  lake: Lake,
  dataset: BronzeDataset,
  ingestDate: IsoDate,
): Promise<BronzePartitionFiles | undefined> {
  const partition = await describeBronzeFiles(lake, dataset, ingestDate);
  if (!partition) return undefined;
  return { manifest: partition.manifest, files: await fetchBronzeFiles(lake, partition.files) };
}

/** The committed partition's files, numbered in partition order, without fetching any; undefined when none. */
export async function describeBronzeFiles(
  lake: Lake,
  dataset: BronzeDataset,
  ingestDate: IsoDate,
): Promise<BronzePartitionEntries | undefined> {
  const partition = await readBronzePartition(lake, dataset, ingestDate);
  if (!partition) return undefined;
  const counted = new Map(partition.manifest.files.map((file) => [file.name, file.rows]));
  const files = partition.files.map((file, fileNo) => {
    const format = bronzeFileFormat(file.name);
    if (!format) {
      throw new PermanentError(
        `bronze file ${dataset}/ingest_date=${ingestDate}/${file.name} has an unknown format`,
      );
    }
    return {
      fileNo,
      sourceFile: file.key,
      manifestRows: counted.get(file.name) ?? 0,
      bytes: file.size,
      ...format,
    };
  });
  return { manifest: partition.manifest, files };
}

/**
 * Local paths DuckDB reads for `files`: the objects of a local lake, cached copies of a remote one (downloaded,
 * until `signal` ends the downloads).
 */
export async function fetchBronzeFiles(
  lake: Lake,
  files: readonly BronzeFileEntry[],
  signal?: AbortSignal,
): Promise<BronzeFile[]> {
  const paths = await lake.localPaths(
    files.map((file) => ({ key: file.sourceFile, size: file.bytes })),
    signal ? { signal } : {},
  );
  return files.map(({ bytes: _bytes, ...file }, position) => ({ ...file, path: paths[position]! }));
}

/**
 * Refuses a bronze file that yields fewer records than its manifest counted when it was written: it lost some
 * since (DuckDB reads a truncated gzip without an error, up to where it breaks off). Silver stops rather than
 * lose records silently; more records than counted (a line break a reader splits differently) loses nothing.
 */
export function assertNoRecordsLost(
  file: Pick<BronzeFile, 'sourceFile' | 'manifestRows'>,
  recordsRead: number,
): void {
  if (recordsRead < file.manifestRows) {
    throw new PermanentError(
      `bronze file ${file.sourceFile} yields ${recordsRead} records where its manifest counted ${file.manifestRows}: ` +
        'it is truncated or corrupt (restore it from its source; silver does not process a partial file)',
    );
  }
}
