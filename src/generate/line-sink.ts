/**
 * Writes JSON Lines to a file through a 1 MiB byte buffer, optionally gzip-compressed, computing the row
 * count, byte count and sha256 of what lands on disk as it goes (no second read of a multi-GB file). Memory
 * stays at one buffer whatever the volume. Every write names its file offset (pwrite), so ready-made chunks
 * can be written in the background while the caller goes on, and the file is the same whatever order the
 * writes finish in.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, openSync, write, writeSync } from 'node:fs';
import { createGzip, type Gzip } from 'node:zlib';
import type { ManifestFile } from '../lake/manifest.ts';

const BUFFER_BYTES = 1 << 20;
const NEWLINE = 10;

/** Node's latin1 writer, called directly: skips `Buffer#write`'s encoding dispatch on the hot path. */
interface LatinWritable {
  latin1Write(text: string, offset: number): number;
}
export class LineSink {
  private readonly buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private offset = 0;
  private rows = 0;
  private bytes = 0;
  private readonly hash = createHash('sha256');
  private readonly fd: number;
  private readonly gzip: Gzip | undefined;
  /** Background writes not finished yet; `close` waits for them. */
  private readonly writing = new Set<Promise<void>>();

  constructor(
    path: string,
    readonly name: string,
    gzip: boolean,
  ) {
    this.fd = openSync(path, 'w');
    if (gzip) {
      this.gzip = createGzip();
      this.gzip.on('data', (chunk: Buffer) => this.writeOut(chunk));
    }
  }

  /** Appends one line of any text; resolves at once unless the buffer went into a busy gzip stream. */
  write(line: string): Promise<void> | undefined {
    return this.append(line, false);
  }

  /**
   * Appends a line known to be pure ASCII (transaction lines are built that way): latin1 encoding is then
   * byte-identical to UTF-8 and several times faster.
   */
  writeAscii(line: string): Promise<void> | undefined {
    return this.append(line, true);
  }

  /**
   * Appends ready-made lines (each ending in a newline), after what is buffered; resolves once `bytes` may be
   * reused. A plain file takes them as they are (no copy), hashed at once and written to disk in the
   * background; gzip gets a copy, since it holds on to its input. The file's bytes do not depend on how the
   * lines were cut into calls.
   */
  async writeLines(bytes: Uint8Array, rows: number): Promise<void> {
    this.rows += rows;
    if (bytes.length === 0) return;
    const pending = this.flush();
    if (pending) await pending;
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    if (this.gzip) {
      await this.send(Buffer.from(view));
      return;
    }
    const position = this.bytes;
    this.hash.update(view);
    this.bytes += view.length;
    const written = writeAt(this.fd, view, position);
    this.writing.add(written);
    try {
      await written;
    } finally {
      this.writing.delete(written);
    }
  }

  get rowCount(): number {
    return this.rows;
  }

  async close(): Promise<ManifestFile> {
    await this.flush();
    await Promise.all(this.writing);
    if (this.gzip) {
      this.gzip.end();
      await once(this.gzip, 'end');
    }
    closeSync(this.fd);
    return { name: this.name, rows: this.rows, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  private append(line: string, ascii: boolean): Promise<void> | undefined {
    const maxBytes = (ascii ? line.length : Buffer.byteLength(line)) + 1;
    let pending: Promise<void> | undefined;
    if (this.offset + maxBytes > BUFFER_BYTES) {
      pending = this.flush();
      if (maxBytes > BUFFER_BYTES) {
        // A line longer than the buffer: goes out on its own, after what is buffered.
        return (pending ?? Promise.resolve()).then(() => this.send(Buffer.from(`${line}\n`)));
      }
      if (pending) return pending.then(() => this.append(line, ascii));
    }
    this.offset += ascii
      ? (this.buffer as unknown as LatinWritable).latin1Write(line, this.offset)
      : this.buffer.write(line, this.offset);
    this.buffer[this.offset++] = NEWLINE;
    this.rows++;
    return pending;
  }

  private flush(): Promise<void> | undefined {
    if (this.offset === 0) return undefined;
    // gzip may hold on to the chunk, so it gets a copy; the plain file is written synchronously.
    const chunk = this.gzip
      ? Buffer.from(this.buffer.subarray(0, this.offset))
      : this.buffer.subarray(0, this.offset);
    this.offset = 0;
    return this.send(chunk);
  }

  private send(chunk: Buffer): Promise<void> | undefined {
    if (!this.gzip) {
      this.writeOut(chunk);
      return undefined;
    }
    if (!this.gzip.write(chunk)) return once(this.gzip, 'drain').then(() => undefined);
    return undefined;
  }

  private writeOut(chunk: Buffer): void {
    const position = this.bytes;
    this.hash.update(chunk);
    this.bytes += chunk.length;
    let written = 0;
    while (written < chunk.length) {
      written += writeSync(this.fd, chunk, written, chunk.length - written, position + written);
    }
  }
}

/** Writes all of `chunk` at file offset `position` on the thread pool. */
async function writeAt(fd: number, chunk: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < chunk.length) {
    done += await new Promise<number>((resolve, reject) => {
      write(fd, chunk, done, chunk.length - done, position + done, (error, bytesWritten) =>
        error ? reject(error) : resolve(bytesWritten),
      );
    });
  }
}
