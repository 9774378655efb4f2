/**
 * Copies external transaction files byte for byte into bronze (DESIGN.md §3, §4): each file goes to the
 * transactions partition of `ingestDate`, or of the date in its name, as `part-NNNNN.<csv|jsonl>[.gz]`. Inputs
 * are local files or `s3://bucket/key` objects (a key ending in `/` takes every object under it), which are
 * downloaded to a work folder first. Every file is checked before anything is written, so a refused file leaves
 * the lake untouched.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { dateInName, type IsoDate } from '../core/dates.ts';
import { UsageError } from '../core/errors.ts';
import { REQUIRED_TRANSACTION_FIELDS, repeatedContractFields } from '../core/record-contract.ts';
import { type CommitResult, commitBronzePartition, createStagingDir } from '../lake/bronze-partition.ts';
import type { Lake } from '../lake/lake.ts';
import { baseName } from '../lake/lake-layout.ts';
import type { ManifestFile } from '../lake/manifest.ts';
import { listAll, ObjectNotFoundError, type ObjectStore } from '../lake/object-store.ts';
import { type FileFormat, type FileInspection, inspectFile } from './inspect-file.ts';

export interface IngestOptions {
  lake: Lake;
  /** Local paths, or `s3://bucket/key` URLs (`s3://bucket/prefix/` for every object under the prefix). */
  files: string[];
  /** Opens the bucket of an `s3://` input (the CLI opens it with the config's `s3:` settings). */
  openBucket?: (bucket: string) => Promise<ObjectStore>;
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
  /** A local file: the input itself, or an object downloaded from S3. */
  path: string;
  /** What the user named: the path or the s3:// URL (kept in the manifest). */
  original: string;
  date: IsoDate;
  format: FileFormat;
  inspection: FileInspection;
}

export async function ingestFiles(options: IngestOptions): Promise<IngestedPartition[]> {
  const downloads = await options.lake.scratch('ingest');
  try {
    const checked: CheckedFile[] = [];
    for (const input of await localInputs(options, downloads)) checked.push(await checkFile(input, options));
    const byDate = new Map<IsoDate, CheckedFile[]>();
    for (const file of checked) byDate.set(file.date, [...(byDate.get(file.date) ?? []), file]);
    const partitions: IngestedPartition[] = [];
    for (const [date, files] of [...byDate].sort(([a], [b]) => a.localeCompare(b))) {
      partitions.push(await writePartition(options.lake, date, files));
    }
    return partitions;
  } finally {
    await options.lake.releaseScratch(downloads);
  }
}

interface LocalInput {
  /** The input itself, or where its S3 object was downloaded. */
  path: string;
  original: string;
  /** The file name the date and format are read from. */
  name: string;
}

/** Local files as given; S3 objects downloaded into `dir` (each under a name of its own). */
async function localInputs(options: IngestOptions, dir: string): Promise<LocalInput[]> {
  const inputs: LocalInput[] = [];
  const buckets = new Map<string, ObjectStore>();
  try {
    for (const file of options.files) {
      const s3 = /^s3:\/\/([^/]+)\/(.*)$/.exec(file);
      if (!s3) {
        inputs.push({ path: resolve(file), original: file, name: basename(file) });
        continue;
      }
      const bucket = s3[1]!;
      const key = s3[2]!;
      if (!options.openBucket) throw new UsageError(`input '${file}': s3:// inputs need an S3 client`);
      let store = buckets.get(bucket);
      if (!store) {
        store = await options.openBucket(bucket);
        buckets.set(bucket, store);
      }
      const keys: string[] = [];
      if (key === '' || key.endsWith('/')) {
        for await (const object of listAll(store, key)) keys.push(object.key);
        if (keys.length === 0) throw new UsageError(`input '${file}': no object under this prefix`);
      } else keys.push(key);
      for (const objectKey of keys.sort()) {
        const path = join(dir, `${inputs.length}-${baseName(objectKey)}`);
        try {
          await store.getToFile(objectKey, path);
        } catch (error) {
          if (error instanceof ObjectNotFoundError)
            throw new UsageError(`input file '${file}' does not exist`);
          throw error;
        }
        inputs.push({ path, original: `s3://${bucket}/${objectKey}`, name: baseName(objectKey) });
      }
    }
  } finally {
    for (const store of buckets.values()) await store.close();
  }
  return inputs;
}

async function checkFile(input: LocalInput, options: IngestOptions): Promise<CheckedFile> {
  const { path, original: file } = input;
  if (!existsSync(path) || !statSync(path).isFile())
    throw new UsageError(`input file '${file}' does not exist`);
  const date = options.ingestDate ?? dateInName(input.name);
  if (!date) {
    throw new UsageError(
      `input file '${file}' has no YYYY-MM-DD date in its name; give the bronze partition with --ingest-date`,
    );
  }
  const format = options.format ?? formatFromName(input.name);
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
  return { path, original: file, date, format, inspection };
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

/** Copies the files of one date into a staging folder and commits them (which removes the folder). */
async function writePartition(lake: Lake, date: IsoDate, files: CheckedFile[]): Promise<IngestedPartition> {
  const staging = await createStagingDir(lake);
  const stored: ManifestFile[] = [];
  try {
    for (const [position, file] of files.entries()) {
      const name = `part-${String(position).padStart(5, '0')}.${file.format}${file.inspection.gzip ? '.gz' : ''}`;
      stored.push(await copyFile(file.path, join(staging, name), name, file.inspection.records));
    }
  } catch (error) {
    await lake.releaseScratch(staging);
    throw error;
  }
  const sources = files.map((file, position) => ({
    original: file.original.startsWith('s3://') ? file.original : file.path,
    stored: stored[position]!.name,
    format: file.format,
  }));
  const rows = stored.reduce((sum, file) => sum + file.rows, 0);
  const commit = await commitBronzePartition(lake, 'transactions', date, staging, {
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
