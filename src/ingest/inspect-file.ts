/**
 * Reads an input file once, streaming (gzip or not): its field names (the CSV header, or the keys of the first
 * JSON line that parses) and how many records it holds. Ingest needs both before it copies the file: the
 * names to refuse a file that cannot be bronze, the count for the manifest.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';

export type FileFormat = 'csv' | 'jsonl';

export interface FileInspection {
  gzip: boolean;
  /** Field names, or undefined when a JSON Lines file has no line that parses. */
  fields: string[] | undefined;
  /** Data records: CSV rows after the header, non-empty JSON lines. */
  records: number;
}

export async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

export async function inspectFile(path: string, format: FileFormat): Promise<FileInspection> {
  const gzip = await isGzipFile(path);
  const raw = createReadStream(path);
  const stream = gzip ? raw.pipe(createGunzip()) : raw;
  const decoder = new StringDecoder('utf8');
  const reader = format === 'csv' ? new CsvRecordReader() : new JsonLinesReader();
  for await (const chunk of stream) reader.push(decoder.write(chunk as Buffer));
  reader.push(decoder.end());
  reader.end();
  return { gzip, fields: reader.fields, records: reader.records };
}

interface RecordReader {
  fields: string[] | undefined;
  records: number;
  push(text: string): void;
  end(): void;
}

/** Counts CSV records (quoted fields may hold newlines) and keeps the header's names. */
class CsvRecordReader implements RecordReader {
  fields: string[] | undefined;
  records = 0;
  private quoted = false;
  private field = '';
  private row: string[] = [];
  private rowHasContent = false;

  push(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const char = text[i]!;
      if (this.quoted) {
        if (char === '"') this.quoted = false;
        else if (!this.fields) this.field += char;
        continue;
      }
      if (char === '\n') {
        this.endRow();
        continue;
      }
      if (char === '\r') continue;
      this.rowHasContent = true;
      if (char === '"') this.quoted = true;
      else if (this.fields)
        continue; // after the header only record boundaries matter
      else if (char === ',') {
        this.row.push(this.field);
        this.field = '';
      } else this.field += char;
    }
  }

  end(): void {
    this.endRow();
  }

  private endRow(): void {
    if (!this.rowHasContent) return; // blank lines are not records
    if (this.fields) this.records++;
    else {
      this.row.push(this.field);
      this.fields = this.row.map((name) =>
        name
          .replace(/^\uFEFF/, '')
          .trim()
          .toLowerCase(),
      );
    }
    this.row = [];
    this.field = '';
    this.rowHasContent = false;
  }
}

const BLANK_LINE = /^\p{Zs}*\r?$/u;

/** Counts non-blank lines; the keys of the first line that parses as a JSON object are the field names. */
class JsonLinesReader implements RecordReader {
  fields: string[] | undefined;
  records = 0;
  private partial = '';

  push(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.line(line);
  }

  end(): void {
    this.line(this.partial);
    this.partial = '';
  }

  private line(line: string): void {
    // Blank as silver reads it: empty or only Unicode space separators (a tab is a record, a malformed one).
    if (BLANK_LINE.test(line)) return;
    this.records++;
    if (this.fields) return;
    try {
      const value: unknown = JSON.parse(line.replace(/^\uFEFF/, ''));
      if (value && typeof value === 'object' && !Array.isArray(value)) this.fields = Object.keys(value);
    } catch {
      // a broken line is silver's to quarantine; the next one may name the fields
    }
  }
}
