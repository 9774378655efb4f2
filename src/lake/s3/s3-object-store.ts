/**
 * The lake as an S3 bucket/prefix (AWS SDK v3). Every object it creates (put, multipart upload, copy) carries the
 * configured server-side encryption; `ifAbsent` puts send `If-None-Match: *` (S3 refuses a taken name
 * atomically) after a HEAD that catches the common case on servers that ignore the header. Correctness of the
 * commit protocol never rests on either: writers are serialized by a lease (see ../commit-log/).
 */

import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { abortedOr } from '../../core/interrupt-on-abort.ts';
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

/** Server-side encryption every object written gets (config `s3.sse`, `s3.kms_key_id`). */
export type ServerSideEncryption = { kind: 'AES256' } | { kind: 'aws:kms'; kmsKeyId?: string };

export interface S3ObjectStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix of the lake inside the bucket, without leading or trailing `/` ('' for the bucket root). */
  prefix: string;
  encryption: ServerSideEncryption;
  /** Multipart part size for file and stream uploads (S3 minimum 5 MiB). */
  partSize?: number;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly location: string;
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  /** What every object written gets (also what a warehouse writing into the lake must use). */
  readonly encryption: ServerSideEncryption;
  private readonly partSize: number;

  constructor(options: S3ObjectStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    this.encryption = options.encryption;
    this.partSize = Math.max(options.partSize ?? DEFAULT_PART_SIZE, 5 * 1024 * 1024);
    this.location = `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  /** The full S3 key of a lake key (what Redshift COPY and UNLOAD are given). */
  objectKey(key: string): string {
    checkKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  /** `s3://bucket/prefix/key`. */
  urlOf(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  async get(key: string): Promise<Buffer> {
    const body = await this.getStream(key);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async getStream(key: string): Promise<Readable> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return response.Body as Readable;
    } catch (error) {
      throw this.translate(error, key);
    }
  }

  async getToFile(key: string, path: string, options: { signal?: AbortSignal } = {}): Promise<ObjectInfo> {
    const { signal } = options;
    let response: GetObjectCommandOutput;
    try {
      response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (error) {
      throw abortedOr(signal, this.translate(error, key));
    }
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${randomUUID()}.part`;
    try {
      await pipeline(response.Body as Readable, createWriteStream(temporary), signal ? { signal } : {});
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw abortedOr(signal, error);
    }
    return {
      key,
      size: (await stat(path)).size,
      etag: response.ETag ?? '',
      lastModified: response.LastModified ?? new Date(),
    };
  }

  async put(key: string, body: Buffer | string, options: PutOptions = {}): Promise<ObjectInfo> {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    if (options.ifAbsent) await this.refuseExisting(key);
    try {
      const response = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Body: bytes,
          ContentLength: bytes.length,
          ...this.writeHeaders(options),
        }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      // S3 returns no modification time; the clock of this process is close enough for retention checks.
      return { key, size: bytes.length, etag: response.ETag ?? '', lastModified: new Date() };
    } catch (error) {
      throw abortedOr(options.signal, this.translate(error, key));
    }
  }

  async putFile(key: string, path: string, options: PutOptions = {}): Promise<ObjectInfo> {
    const { size } = await stat(path);
    if (size < this.partSize) return this.put(key, await readFile(path), options);
    return this.upload(key, createReadStream(path), options, size);
  }

  async putStream(key: string, body: Readable, options: PutOptions = {}): Promise<ObjectInfo> {
    return this.upload(key, body, options);
  }

  async copy(fromKey: string, toKey: string, options: PutOptions = {}): Promise<ObjectInfo> {
    if (options.ifAbsent) await this.refuseExisting(toKey);
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(toKey),
          CopySource: encodeURIComponent(`${this.bucket}/${this.objectKey(fromKey)}`).replaceAll('%2F', '/'),
          ...this.writeHeaders(options),
        }),
      );
    } catch (error) {
      throw this.translate(error, fromKey);
    }
    return this.headOrThrow(toKey);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const response = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return {
        key,
        size: Number(response.ContentLength ?? 0),
        etag: response.ETag ?? '',
        lastModified: response.LastModified ?? new Date(0),
      };
    } catch (error) {
      const translated = this.translate(error, key);
      if (translated instanceof ObjectNotFoundError) return undefined;
      throw translated;
    }
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    const base = this.prefix ? `${this.prefix}/` : '';
    const response = await this.client.send(
      new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: base + prefix,
        ...(options.delimiter ? { Delimiter: options.delimiter } : {}),
        ...(options.maxKeys ? { MaxKeys: options.maxKeys } : {}),
        ...(options.token ? { ContinuationToken: options.token } : {}),
        ...(options.startAfter && !options.token ? { StartAfter: base + options.startAfter } : {}),
      }),
    );
    return {
      objects: (response.Contents ?? []).map((object) => ({
        key: object.Key!.slice(base.length),
        size: Number(object.Size ?? 0),
        etag: object.ETag ?? '',
        lastModified: object.LastModified ?? new Date(0),
      })),
      prefixes: (response.CommonPrefixes ?? []).map((common) => common.Prefix!.slice(base.length)),
      ...(response.IsTruncated && response.NextContinuationToken
        ? { nextToken: response.NextContinuationToken }
        : {}),
    };
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += 1000) {
      const batch = keys.slice(start, start + 1000);
      const response = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((key) => ({ Key: this.objectKey(key) })), Quiet: true },
        }),
      );
      const failed = response.Errors ?? [];
      if (failed.length > 0) {
        throw new Error(
          `could not delete ${failed.length} lake object(s) in ${this.location}, first '${failed[0]!.Key}': ${failed[0]!.Message}`,
        );
      }
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /** Multipart above one part (lib-storage); the encryption headers go on CreateMultipartUpload. */
  private async upload(key: string, body: Readable, options: PutOptions, size?: number): Promise<ObjectInfo> {
    if (options.ifAbsent) await this.refuseExisting(key);
    const upload = new Upload({
      client: this.client,
      partSize: this.partSize,
      queueSize: 4,
      leavePartsOnError: false,
      params: {
        Bucket: this.bucket,
        Key: this.objectKey(key),
        Body: body,
        ...(size !== undefined ? { ContentLength: size } : {}),
        ...this.writeHeaders(options),
      },
    });
    const { signal } = options;
    const abort = () => void upload.abort().catch(() => undefined);
    signal?.addEventListener('abort', abort, { once: true });
    try {
      signal?.throwIfAborted();
      await upload.done();
    } catch (error) {
      throw abortedOr(signal, this.translate(error, key));
    } finally {
      signal?.removeEventListener('abort', abort);
    }
    return this.headOrThrow(key);
  }

  private writeHeaders(options: PutOptions) {
    return {
      ServerSideEncryption: this.encryption.kind,
      ...(this.encryption.kind === 'aws:kms' && this.encryption.kmsKeyId
        ? { SSEKMSKeyId: this.encryption.kmsKeyId }
        : {}),
      ...(options.ifAbsent ? { IfNoneMatch: '*' } : {}),
      ...(options.contentType ? { ContentType: options.contentType } : {}),
    };
  }

  private async refuseExisting(key: string): Promise<void> {
    if (await this.head(key)) throw new ObjectExistsError(this.location, key);
  }

  private async headOrThrow(key: string): Promise<ObjectInfo> {
    const info = await this.head(key);
    if (!info) throw new ObjectNotFoundError(this.location, key);
    return info;
  }

  private translate(error: unknown, key: string): unknown {
    if (error instanceof S3ServiceException) {
      const status = error.$metadata.httpStatusCode;
      if (error.name === 'NoSuchKey' || error.name === 'NotFound' || status === 404)
        return new ObjectNotFoundError(this.location, key);
      if (error.name === 'PreconditionFailed' || status === 412)
        return new ObjectExistsError(this.location, key);
    }
    return error;
  }
}
