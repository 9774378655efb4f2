/**
 * Bronze partitions through the commit log. Bronze is immutable (DESIGN.md §4): a partition is written once
 * (its files, then its `_manifest.json`, then one commit of `bronze/<dataset>`), identical content written again
 * is a no-op, and different content is refused. Readers take a partition's files from the committed snapshot and
 * read its manifest only once the partition is committed, so files of a write that died before its commit are
 * never read.
 */
import { join } from 'node:path';
import type { IsoDate } from '../core/dates.ts';
import { ImmutablePartitionError } from '../core/errors.ts';
import { OPTIONAL_TRANSACTION_FIELDS, REQUIRED_TRANSACTION_FIELDS } from '../core/record-contract.ts';
import type { TableDefinition } from './commit-log/commit-tables.ts';
import type { Lake } from './lake.ts';
import {
  type BronzeDataset,
  baseName,
  bronzeManifestKey,
  bronzeTable,
  MANIFEST_FILE,
  partitionFolder,
} from './lake-layout.ts';
import type { BronzeManifest } from './manifest.ts';
import { ObjectNotFoundError } from './object-store.ts';

export type CommitResult = { kind: 'written'; partition: string } | { kind: 'unchanged'; partition: string };

/** A committed bronze partition: its manifest and its files (lake keys), in file-name order. */
export interface BronzePartition {
  manifest: BronzeManifest;
  files: { name: string; key: string; size: number }[];
}

/**
 * The Delta table of a bronze dataset. Its files are JSON Lines or CSV as they arrived, so the schema only
 * names the record contract's fields (transactions) and the partition column.
 */
export function bronzeTableDefinition(dataset: BronzeDataset): TableDefinition {
  const fields =
    dataset === 'transactions' ? [...REQUIRED_TRANSACTION_FIELDS, ...OPTIONAL_TRANSACTION_FIELDS] : [];
  return {
    table: bronzeTable(dataset),
    partitionColumns: ['ingest_date'],
    format: 'json',
    columns: [...fields.map((name) => ({ name, type: 'VARCHAR' })), { name: 'ingest_date', type: 'DATE' }],
  };
}

/** A fresh local folder to stage a partition's files in before {@link commitBronzePartition}. */
export function createStagingDir(lake: Lake): Promise<string> {
  return lake.scratch('bronze');
}

/**
 * Publishes the files staged in `stagedDir` (named as in `manifest.files`) as the partition; the staged folder is
 * gone afterwards, whatever the outcome.
 */
export async function commitBronzePartition(
  lake: Lake,
  dataset: BronzeDataset,
  ingestDate: IsoDate,
  stagedDir: string,
  manifest: BronzeManifest,
): Promise<CommitResult> {
  const definition = bronzeTableDefinition(dataset);
  const partition = `${definition.table}/${partitionFolder({ ingest_date: ingestDate })}`;
  try {
    return await lake.withWriterLease(async () => {
      const existing = await readBronzePartition(lake, dataset, ingestDate);
      if (existing) {
        const difference = describeDifference(existing.manifest, manifest);
        if (difference === undefined) return { kind: 'unchanged', partition };
        throw new ImmutablePartitionError(
          `bronze partition ${partition} already exists with different content (${difference}); ` +
            'bronze is immutable: write to a new ingest date instead',
        );
      }
      // Files of a write that died before its commit may hold these names: nothing read them, they are replaced.
      const added = [];
      for (const file of manifest.files) {
        const info = await lake.upload(`${partition}/${file.name}`, join(stagedDir, file.name));
        added.push({
          key: info.key,
          partitionValues: { ingest_date: ingestDate },
          size: info.size,
          numRecords: file.rows,
        });
      }
      await lake.store.put(bronzeManifestKey(dataset, ingestDate), `${JSON.stringify(manifest, null, 2)}\n`);
      await lake.commit([{ definition, add: added, remove: [] }], {
        operation: 'WRITE',
        runId: `bronze-${dataset}-${ingestDate}`,
      });
      return { kind: 'written', partition };
    });
  } finally {
    await lake.releaseScratch(stagedDir);
  }
}

/** The committed partition, or undefined when no commit published it. */
export async function readBronzePartition(
  lake: Lake,
  dataset: BronzeDataset,
  ingestDate: IsoDate,
): Promise<BronzePartition | undefined> {
  const files = (await lake.snapshot(bronzeTable(dataset))).files({ ingest_date: ingestDate });
  if (files.length === 0) return undefined;
  const manifest = await readBronzeManifest(lake, dataset, ingestDate);
  return {
    manifest,
    files: files
      .map((file) => ({ name: baseName(file.key), key: file.key, size: file.size }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

async function readBronzeManifest(
  lake: Lake,
  dataset: BronzeDataset,
  ingestDate: IsoDate,
): Promise<BronzeManifest> {
  const key = bronzeManifestKey(dataset, ingestDate);
  try {
    return JSON.parse((await lake.store.get(key)).toString('utf8')) as BronzeManifest;
  } catch (error) {
    if (error instanceof ObjectNotFoundError)
      throw new ImmutablePartitionError(
        `bronze partition ${bronzeTable(dataset)}/ingest_date=${ingestDate} is committed but has no ${MANIFEST_FILE}; inspect it by hand`,
      );
    throw error;
  }
}

function describeDifference(existing: BronzeManifest, incoming: BronzeManifest): string | undefined {
  const before = new Map(existing.files.map((file) => [file.name, file.sha256]));
  const after = new Map(incoming.files.map((file) => [file.name, file.sha256]));
  for (const [name, sha] of after) {
    if (!before.has(name)) return `new file ${name}`;
    if (before.get(name) !== sha) return `${name} has a different sha256`;
  }
  for (const name of before.keys()) if (!after.has(name)) return `${name} would be missing`;
  return undefined;
}
