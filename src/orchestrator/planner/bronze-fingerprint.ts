/**
 * A bronze partition's fingerprint: a hash of its manifest's files (name and sha256), so the planner can tell
 * that a date's bronze appeared or changed since the run that built it, without reading the data.
 */
import { createHash } from 'node:crypto';
import type { BronzeManifest } from '../../lake/manifest.ts';

export function bronzeFingerprint(manifest: Pick<BronzeManifest, 'files'>): string {
  const files = [...manifest.files].sort((a, b) => a.name.localeCompare(b.name));
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.name}\0${file.sha256}\n`);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * The same idea from a committed snapshot's files (key and size), without reading each partition's manifest:
 * bronze is immutable, so a partition whose files are the same objects holds the same records. What `plan`
 * compares over a long range of dates, one snapshot read per dataset.
 */
export function bronzeFilesFingerprint(files: readonly { key: string; size: number }[]): string {
  const sorted = [...files].sort((a, b) => a.key.localeCompare(b.key));
  const hash = createHash('sha256');
  for (const file of sorted) hash.update(`${file.key}\0${file.size}\n`);
  return `files:${hash.digest('hex')}`;
}
