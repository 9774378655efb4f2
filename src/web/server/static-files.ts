/**
 * The files the browser loads besides the pages: the app's own scripts and stylesheet (src/web/static) and
 * ECharts from node_modules — one file, served by the app itself, so nothing is fetched from a CDN. Read
 * once at start into a fixed map: a request can only name a file in it, so no path ever reaches the disk.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  etag: string;
}

export const ECHARTS_URL = '/static/vendor/echarts.min.js';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const STATIC_DIR = fileURLToPath(new URL('../static/', import.meta.url));

export function loadStaticFiles(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const entries = readdirSync(STATIC_DIR, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    const type = TYPES[extname(entry.name)];
    if (!entry.isFile() || !type) continue;
    const path = join(entry.parentPath, entry.name);
    const url = `/static/${path.slice(STATIC_DIR.length).split('\\').join('/')}`;
    files.set(url, staticFile(readFileSync(path), type));
  }
  const echarts = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');
  files.set(ECHARTS_URL, staticFile(readFileSync(echarts), TYPES['.js']!));
  return files;
}

function staticFile(body: Buffer, contentType: string): StaticFile {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  const bytes = new Uint8Array(new ArrayBuffer(body.byteLength));
  bytes.set(body);
  return { body: bytes, contentType, etag };
}
