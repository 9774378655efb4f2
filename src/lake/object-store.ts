/**
 * The one way the program reaches lake objects (DESIGN.md §4), so a local folder and an S3 bucket are
 * interchangeable. Keys are relative to the lake root and use `/`; objects are written whole (a reader never
 * sees half an object) and names that the commit protocol must never reuse are written with `ifAbsent`.
 */
import type { Readable } from 'node:stream';
import { PipelineError } from '../core/errors.ts';

/** What a listing or a `head` tells about one object. */
export interface ObjectInfo {
  key: string;
  size: number;
  /** Changes whenever the content may have changed (S3 ETag; size and mtime for a local file). */
  etag: string;
  lastModified: Date;
}

export interface PutOptions {
  /** Refuse (`ObjectExistsError`) when the key exists: for names the commit protocol must never reuse. */
  ifAbsent?: boolean;
  contentType?: string;
  /**
   * `putFile` only: the caller is done with the source file, so a local folder may move it into place (one
   * rename on the same file system) instead of copying it. The source is gone or left as it was afterwards.
   */
  consumeSource?: boolean;
  /**
   * A task's timeout or stop: ends an upload under way with the signal's reason (a multipart upload is aborted,
   * its parts deleted), leaving the key as it was. Only for objects nothing refers to yet.
   */
  signal?: AbortSignal;
}

export interface ListOptions {
  /** Group keys at the first `delimiter` after the prefix into `prefixes` (folder-like listing). */
  delimiter?: string;
  /** Page size (S3 caps it at 1000). */
  maxKeys?: number;
  /** The `nextToken` of the previous page. */
  token?: string;
  /** Only keys that sort after this one (byte order), e.g. log entries after a checkpoint. */
  startAfter?: string;
}

/** One page of a listing, keys in byte order. `nextToken` is set when more pages follow. */
export interface ListPage {
  objects: ObjectInfo[];
  prefixes: string[];
  nextToken?: string;
}

/**
 * A flat namespace of immutable-by-convention objects: the lake's local folder or its S3 bucket/prefix.
 *
 * ```ts
 * const store = await openObjectStore(config);
 * await store.put('silver/transactions/_delta_log/00000000000000000000.json', text, { ifAbsent: true });
 * for await (const object of listAll(store, 'bronze/transactions/')) console.log(object.key);
 * ```
 */
export interface ObjectStore {
  readonly kind: 'local' | 's3';
  /** Where the lake is, for messages: a folder path or `s3://bucket/prefix`. */
  readonly location: string;
  /** The whole object; `ObjectNotFoundError` when missing. */
  get(key: string): Promise<Buffer>;
  getStream(key: string): Promise<Readable>;
  /**
   * Downloads to `path` (written whole: temp file, then rename) and returns what was downloaded; `signal` (a
   * task's timeout or stop) ends a download under way with its reason and leaves no file.
   */
  getToFile(key: string, path: string, options?: { signal?: AbortSignal }): Promise<ObjectInfo>;
  put(key: string, body: Buffer | string, options?: PutOptions): Promise<ObjectInfo>;
  putFile(key: string, path: string, options?: PutOptions): Promise<ObjectInfo>;
  putStream(key: string, body: Readable, options?: PutOptions): Promise<ObjectInfo>;
  /** Undefined when the key does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  list(prefix: string, options?: ListOptions): Promise<ListPage>;
  /** Idempotent: deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  deleteMany(keys: readonly string[]): Promise<void>;
  copy(fromKey: string, toKey: string, options?: PutOptions): Promise<ObjectInfo>;
  close(): Promise<void>;
}

export class ObjectNotFoundError extends PipelineError {
  override name = 'ObjectNotFoundError';
  constructor(
    readonly location: string,
    readonly key: string,
  ) {
    super(`lake object '${key}' does not exist in ${location}`);
  }
}

export class ObjectExistsError extends PipelineError {
  override name = 'ObjectExistsError';
  constructor(
    readonly location: string,
    readonly key: string,
  ) {
    super(`lake object '${key}' already exists in ${location} and is never overwritten`);
  }
}

/** Every object under `prefix`, page after page. */
export async function* listAll(
  store: ObjectStore,
  prefix: string,
  options: Omit<ListOptions, 'token' | 'delimiter'> = {},
): AsyncGenerator<ObjectInfo> {
  let token: string | undefined;
  do {
    const page = await store.list(prefix, { ...options, ...(token ? { token } : {}) });
    yield* page.objects;
    token = page.nextToken;
  } while (token);
}

/** Refuses keys that could escape the lake root or mean different things on the two stores. */
export function checkKey(key: string): string {
  if (
    key === '' ||
    key.startsWith('/') ||
    key.endsWith('/') ||
    key.includes('\\') ||
    key.includes('//') ||
    key.split('/').some((segment) => segment === '.' || segment === '..')
  ) {
    throw new Error(`invalid lake object key '${key}': a relative path with '/' separators is expected`);
  }
  return key;
}
