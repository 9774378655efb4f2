/**
 * Commits a staged folder of files as a bronze partition. Bronze is immutable (DESIGN.md §4): the partition
 * appears whole through one rename, identical content written again is a no-op, different content is refused.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { IsoDate } from '../core/dates.ts';
import { ImmutablePartitionError } from '../core/errors.ts';
import type { BronzeDataset, LakeLayout } from './lake-layout.ts';
import { MANIFEST_FILE } from './lake-layout.ts';
import { type BronzeManifest, readManifest } from './manifest.ts';

export type CommitResult = { kind: 'written'; path: string } | { kind: 'unchanged'; path: string };

/** A fresh staging folder on the lake's filesystem, so the final rename is atomic. */
export async function createStagingDir(layout: LakeLayout): Promise<string> {
  const dir = join(layout.staging(), randomUUID());
  await mkdir(dir, { recursive: true });
  return dir;
}

export async function commitBronzePartition(
  layout: LakeLayout,
  dataset: BronzeDataset,
  ingestDate: IsoDate,
  stagedDir: string,
  manifest: BronzeManifest,
): Promise<CommitResult> {
  const target = layout.bronzePartition(dataset, ingestDate);
  const existing = await readManifest(target);
  if (existing) {
    await rm(stagedDir, { recursive: true, force: true });
    const difference = describeDifference(existing, manifest);
    if (difference === undefined) return { kind: 'unchanged', path: target };
    throw new ImmutablePartitionError(
      `bronze partition ${relative(layout.root, target)} already exists with different content (${difference}); ` +
        'bronze is immutable: write to a new ingest date instead',
    );
  }
  if (existsSync(target)) {
    await rm(stagedDir, { recursive: true, force: true });
    throw new ImmutablePartitionError(
      `bronze partition ${target} exists but has no ${MANIFEST_FILE}; inspect it by hand`,
    );
  }
  await writeFile(join(stagedDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  await mkdir(dirname(target), { recursive: true });
  await rename(stagedDir, target);
  return { kind: 'written', path: target };
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
