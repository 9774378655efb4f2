/**
 * Writes JSON Lines to a file through a 1 MiB string buffer, optionally gzip-compressed, computing the row
 * count, byte count and sha256 of what lands on disk as it goes (no second read of a multi-GB file). Memory
 * stays at one buffer whatever the volume.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, openSync, writeSync } from 'node:fs';
import { createGzip, type Gzip } from 'node:zlib';
import type { ManifestFile } from '../lake/manifest.ts';

const FLUSH_AT = 1 << 20;

export class LineSink {
  private buffer = '';
  private rows = 0;
  private bytes = 0;
  private readonly hash = createHash('sha256');
  private readonly fd: number;
  private readonly gzip: Gzip | undefined;

  constructor(
    private readonly path: string,
    readonly name: string,
    gzip: boolean,
  ) {
    this.fd = openSync(path, 'w');
    if (gzip) {
      this.gzip = createGzip();
      this.gzip.on('data', (chunk: Buffer) => this.writeOut(chunk));
    }
  }

  /** Appends one line; resolves at once unless the buffer was flushed into a busy gzip stream. */
  write(line: string): Promise<void> | undefined {
    this.buffer += `${line}\n`;
    this.rows++;
    return this.buffer.length >= FLUSH_AT ? this.flush() : undefined;
  }

  get rowCount(): number {
    return this.rows;
  }

  async close(): Promise<ManifestFile> {
    await this.flush();
    if (this.gzip) {
      this.gzip.end();
      await once(this.gzip, 'end');
    }
    closeSync(this.fd);
    return { name: this.name, rows: this.rows, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  private async flush(): Promise<void> {
    if (!this.buffer) return;
    const chunk = Buffer.from(this.buffer, 'utf8');
    this.buffer = '';
    if (!this.gzip) {
      this.writeOut(chunk);
      return;
    }
    if (!this.gzip.write(chunk)) await once(this.gzip, 'drain');
  }

  private writeOut(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    let offset = 0;
    while (offset < chunk.length) offset += writeSync(this.fd, chunk, offset);
  }

  toString(): string {
    return this.path;
  }
}
