/**
 * The lake as a local folder. A put writes a temp file under `<root>/.tmp/` and renames it into place, so a
 * reader never sees half an object; `ifAbsent` links instead of renaming, which fails atomically when the name
 * is taken. Keys map to paths below the root; `.tmp/` is not part of the namespace.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import {
  copyFile,
  link,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  checkKey,
  type ListOptions,
  type ListPage,
  ObjectExistsError,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStore,
  type PutOptions,
} from '../object-store.ts';

const TEMP_FOLDER = '.tmp';

export class LocalObjectStore implements ObjectStore {
  readonly kind = 'local' as const;
  readonly location: string;

  constructor(readonly root: string) {
    this.location = root;
  }

  /** The file behind a key (what DuckDB reads directly when the lake is local). */
  pathOf(key: string): string {
    return join(this.root, ...checkKey(key).split('/'));
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      throw this.translate(error, key);
    }
  }

  async getStream(key: string): Promise<Readable> {
    const path = this.pathOf(key);
    // Open first so a missing key fails here, not on the first read of the stream.
    await this.statOrThrow(key);
    return createReadStream(path);
  }

  /** A local copy is quick: `signal` is checked before it starts. */
  async getToFile(key: string, path: string, options: { signal?: AbortSignal } = {}): Promise<ObjectInfo> {
    options.signal?.throwIfAborted();
    const info = await this.statOrThrow(key);
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${randomUUID()}.part`;
    try {
      await copyFile(this.pathOf(key), temporary);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw this.translate(error, key);
    }
    return info;
  }

  async put(key: string, body: Buffer | string, options: PutOptions = {}): Promise<ObjectInfo> {
    return this.publish(key, options, (temporary) => writeFile(temporary, body));
  }

  async putFile(key: string, path: string, options: PutOptions = {}): Promise<ObjectInfo> {
    return this.publish(key, options, async (temporary) => {
      if (options.consumeSource) {
        try {
          await rename(path, temporary);
          return;
        } catch (error) {
          // Another file system: copy instead.
          if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
        }
      }
      await copyFile(path, temporary);
    });
  }

  async putStream(key: string, body: Readable, options: PutOptions = {}): Promise<ObjectInfo> {
    return this.publish(key, options, (temporary) => pipeline(body, createWriteStream(temporary)));
  }

  async copy(fromKey: string, toKey: string, options: PutOptions = {}): Promise<ObjectInfo> {
    await this.statOrThrow(fromKey);
    return this.publish(toKey, options, (temporary) => copyFile(this.pathOf(fromKey), temporary));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      return await this.statOrThrow(key);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return undefined;
      throw error;
    }
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    const maxKeys = Math.max(1, Math.min(options.maxKeys ?? 1000, 1000));
    const keys = await this.keysUnder(prefix);
    // Like S3: keys and common prefixes form one sorted sequence that pages are cut from.
    const entries = new Map<string, 'object' | 'prefix'>();
    for (const key of keys) {
      const rest = key.slice(prefix.length);
      const cut = options.delimiter ? rest.indexOf(options.delimiter) : -1;
      if (cut >= 0) entries.set(prefix + rest.slice(0, cut + options.delimiter!.length), 'prefix');
      else entries.set(key, 'object');
    }
    const after = options.token ?? options.startAfter;
    const sorted = [...entries.keys()]
      .filter((entry) => after === undefined || byteOrder(entry, after) > 0)
      .sort(byteOrder);
    const page = sorted.slice(0, maxKeys);
    const objects: ObjectInfo[] = [];
    const prefixes: string[] = [];
    for (const entry of page) {
      if (entries.get(entry) === 'prefix') prefixes.push(entry);
      else {
        const info = await this.head(entry);
        if (info) objects.push(info);
      }
    }
    return {
      objects,
      prefixes,
      ...(sorted.length > maxKeys ? { nextToken: page[page.length - 1]! } : {}),
    };
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    await rm(path, { force: true });
    await this.pruneEmptyFolders(dirname(path));
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) await this.delete(key);
  }

  async close(): Promise<void> {}

  /** Writes through a temp file, then renames (or links, for `ifAbsent`) it to the key's path. */
  private async publish(
    key: string,
    options: PutOptions,
    write: (temporary: string) => Promise<unknown>,
  ): Promise<ObjectInfo> {
    // A local write is quick: the signal is checked before it starts.
    options.signal?.throwIfAborted();
    const target = this.pathOf(key);
    const temporary = join(this.root, TEMP_FOLDER, randomUUID());
    await mkdir(dirname(temporary), { recursive: true });
    try {
      await write(temporary);
      if (options.ifAbsent && (await this.head(key))) throw new ObjectExistsError(this.location, key);
      // A concurrent delete may prune the freshly made folder; one retry recreates it.
      for (let attempt = 0; ; attempt++) {
        await mkdir(dirname(target), { recursive: true });
        try {
          if (options.ifAbsent) await link(temporary, target);
          else await rename(temporary, target);
          break;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EEXIST') throw new ObjectExistsError(this.location, key);
          if (code !== 'ENOENT' || attempt > 0) throw error;
        }
      }
    } finally {
      await rm(temporary, { force: true });
    }
    return this.statOrThrow(key);
  }

  private async statOrThrow(key: string): Promise<ObjectInfo> {
    try {
      const info = await stat(this.pathOf(key), { bigint: true });
      if (!info.isFile()) throw new ObjectNotFoundError(this.location, key);
      return {
        key,
        size: Number(info.size),
        etag: `${info.size}-${info.mtimeNs}`,
        lastModified: new Date(Number(info.mtimeMs)),
      };
    } catch (error) {
      throw this.translate(error, key);
    }
  }

  /** Every key that starts with `prefix`, read from the folder the prefix ends in. */
  private async keysUnder(prefix: string): Promise<string[]> {
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const start = folder ? join(this.root, ...folder.split('/')) : this.root;
    let names: string[];
    try {
      names = (await readdir(start, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => relative(this.root, join(entry.parentPath, entry.name)).split(sep).join('/'));
    } catch (error) {
      if (
        (error as NodeJS.ErrnoException).code === 'ENOENT' ||
        (error as NodeJS.ErrnoException).code === 'ENOTDIR'
      )
        return [];
      throw error;
    }
    return names.filter((key) => key.startsWith(prefix) && !key.startsWith(`${TEMP_FOLDER}/`));
  }

  private async pruneEmptyFolders(folder: string): Promise<void> {
    let current = folder;
    while (current.startsWith(this.root + sep) && current !== this.root) {
      try {
        await rmdir(current);
      } catch {
        return;
      }
      current = dirname(current);
    }
  }

  private translate(error: unknown, key: string): unknown {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR')
      return new ObjectNotFoundError(this.location, key);
    return error;
  }
}

/** S3 lists keys in UTF-8 byte order; for the ASCII keys of the lake that is plain string order. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
