/**
 * The `_manifest.json` of a bronze partition: what files it holds (rows, bytes, sha256) and where they came
 * from. For generated data it also holds the ground truth of injected faults that later stages are tested
 * against.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { BronzeDataset } from './lake-layout.ts';

export interface ManifestFile {
  name: string;
  /** Records in the file (lines for JSON Lines, data rows for CSV). */
  rows: number;
  bytes: number;
  sha256: string;
}

export type ManifestSource =
  | { kind: 'generator'; seed: number; config: Record<string, unknown> }
  | { kind: 'ingest'; files: { original: string; stored: string; format: 'csv' | 'jsonl' }[] };

export interface BronzeManifest {
  dataset: BronzeDataset;
  ingest_date: string;
  rows: number;
  files: ManifestFile[];
  source: ManifestSource;
  /** Generated transactions only: counts of each record kind in this partition (see src/generate). */
  ground_truth?: Record<string, unknown>;
}

/** The sha256 of a staged local file (before it is published). */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
