/**
 * Copies external transaction files byte for byte into bronze (DESIGN.md §3, §4): each file goes to the
 * transactions partition of `ingestDate`, or of the date in its name, as `part-NNNNN.<csv|jsonl>[.gz]`. Every
 * file is checked before anything is written, so a refused file leaves the lake untouched.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { dateInName, type IsoDate } from '../core/dates.ts';
import { UsageError } from '../core/errors.ts';
import { REQUIRED_TRANSACTION_FIELDS, repeatedContractFields } from '../core/record-contract.ts';
import { type CommitResult, commitBronzePartition, createStagingDir } from '../lake/bronze-partition.ts';
import type { LakeLayout } from '../lake/lake-layout.ts';
import type { ManifestFile } from '../lake/manifest.ts';
import { type FileFormat, type FileInspection, inspectFile } from './inspect-file.ts';

export interface IngestOptions {
  layout: LakeLayout;
  files: string[];
  /** Overrides the date in the file names. */
  ingestDate?: IsoDate;
  /** Overrides the format read from the file extension. */
  format?: FileFormat;
}

export interface IngestedPartition {
  ingest_date: IsoDate;
  result: CommitResult['kind'];
  files: { original: string; stored: string; format: FileFormat; rows: number }[];
  rows: number;
}

interface CheckedFile {
  path: string;
  date: IsoDate;
  format: FileFormat;
  inspection: FileInspection;
}

export async function ingestFiles(options: IngestOptions): Promise<IngestedPartition[]> {
  const checked: CheckedFile[] = [];
  for (const file of options.files) checked.push(await checkFile(file, options));
  const byDate = new Map<IsoDate, CheckedFile[]>();
  for (const file of checked) byDate.set(file.date, [...(byDate.get(file.date) ?? []), file]);
  const partitions: IngestedPartition[] = [];
  for (const [date, files] of [...byDate].sort(([a], [b]) => a.localeCompare(b))) {
    partitions.push(await writePartition(options.layout, date, files));
  }
  return partitions;
}

async function checkFile(file: string, options: IngestOptions): Promise<CheckedFile> {
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile())
    throw new UsageError(`input file '${file}' does not exist`);
  const date = options.ingestDate ?? dateInName(basename(path));
  if (!date) {
    throw new UsageError(
      `input file '${file}' has no YYYY-MM-DD date in its name; give the bronze partition with --ingest-date`,
    );
  }
  const format = options.format ?? formatFromName(path);
  if (!format) {
    throw new UsageError(
      `cannot tell the format of '${file}' from its extension (.csv, .jsonl, .ndjson, .json, optionally .gz); give --format csv|jsonl`,
    );
  }
  const inspection = await inspectOrRefuse(file, path, format);
  if (inspection.fields === undefined && inspection.records > 0) {
    throw new UsageError(
      `input file '${file}' has no line that parses as a JSON object, so its fields are unknown`,
    );
  }
  // Which of two columns of one name holds the value is ambiguous: refused rather than guessed.
  const repeated = repeatedContractFields(inspection.fields ?? []);
  if (format === 'csv' && repeated.length > 0) {
    throw new UsageError(`input file '${file}' names column(s) twice in its header: ${repeated.join(', ')}`);
  }
  // An empty JSON Lines file has no fields to check; an empty CSV lacks its header, so it is refused.
  if (format === 'csv' || inspection.records > 0) {
    const fields = new Set(inspection.fields ?? []);
    const missing = REQUIRED_TRANSACTION_FIELDS.filter((field) => !fields.has(field));
    if (missing.length > 0) {
      const where = format === 'csv' ? 'its header' : 'its first JSON record';
      throw new UsageError(
        `input file '${file}' lacks required column(s) in ${where}: ${missing.join(', ')}`,
      );
    }
  }
  return { path, date, format, inspection };
}

/** A file that cannot be read to its end (a truncated or corrupt gzip, no permission) is refused, named. */
async function inspectOrRefuse(file: string, path: string, format: FileFormat): Promise<FileInspection> {
  try {
    return await inspectFile(path, format);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code?.startsWith('Z_')) {
      throw new UsageError(`input file '${file}' is a truncated or corrupt gzip file (${message})`);
    }
    throw new UsageError(`input file '${file}' cannot be read: ${message}`);
  }
}

function formatFromName(path: string): FileFormat | undefined {
  const name = path.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson') || name.endsWith('.json')) return 'jsonl';
  return undefined;
}

async function writePartition(
  layout: LakeLayout,
  date: IsoDate,
  files: CheckedFile[],
): Promise<IngestedPartition> {
  const staging = await createStagingDir(layout);
  try {
    const stored: ManifestFile[] = [];
    for (const [position, file] of files.entries()) {
      const name = `part-${String(position).padStart(5, '0')}.${file.format}${file.inspection.gzip ? '.gz' : ''}`;
      stored.push(await copyFile(file.path, join(staging, name), name, file.inspection.records));
    }
    const sources = files.map((file, position) => ({
      original: file.path,
      stored: stored[position]!.name,
      format: file.format,
    }));
    const rows = stored.reduce((sum, file) => sum + file.rows, 0);
    const commit = await commitBronzePartition(layout, 'transactions', date, staging, {
      dataset: 'transactions',
      ingest_date: date,
      rows,
      files: stored,
      source: { kind: 'ingest', files: sources },
    });
    return {
      ingest_date: date,
      result: commit.kind,
      files: sources.map((source, position) => ({ ...source, rows: stored[position]!.rows })),
      rows,
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Byte-for-byte copy that hashes on the way through. */
async function copyFile(from: string, to: string, name: string, rows: number): Promise<ManifestFile> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  await pipeline(createReadStream(from), tap, createWriteStream(to));
  return { name, rows, bytes, sha256: hash.digest('hex') };
}
