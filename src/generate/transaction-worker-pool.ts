/**
 * Worker threads that build transaction chunks in parallel. Records are rebuilt from (seed, day, index), so
 * each worker holds a copy of the world's transaction data (a few MB, cloned once, no faker) and builds any
 * chunk it is given; the caller writes the results in chunk order, which keeps the file byte-identical to a
 * single-threaded build.
 */
import { Worker } from 'node:worker_threads';
import {
  type BuiltChunk,
  buildTransactionChunk,
  CHUNK_BUFFER_BYTES,
  createRecordMakers,
  type RecordMakers,
} from './build-transaction-chunk.ts';
import type { GeneratorSettings } from './generator-settings.ts';
import type { TransactionChunk } from './transaction-chunk.ts';
import { TransactionWorld, type TransactionWorldData } from './transaction-world.ts';
import type { ChunkBuilder } from './write-transactions-day.ts';

/** What a worker is sent: the world once, then chunks to build. */
export type WorkerRequest =
  | { kind: 'world'; world: TransactionWorldData }
  | {
      kind: 'chunk';
      id: number;
      chunk: TransactionChunk;
      sentDays: number[];
      /** Where to build the lines; transferred, and transferred back inside the reply's bytes. */
      buffer: ArrayBuffer;
    };

export type ChunkReply = { id: number; built: BuiltChunk } | { id: number; error: string | undefined };

interface Pending {
  resolve: (built: BuiltChunk) => void;
  reject: (error: Error) => void;
}

/** A plain module, so Node can start it without tsx; it registers tsx and loads `transaction-worker.ts`. */
const WORKER_ENTRY = new URL('./transaction-worker-bootstrap.mjs', import.meta.url);

/**
 * A worker's records die young (drafts and fates, a few MB per chunk; the lines go straight into transferred
 * buffers), so a small young generation scavenges just as cheaply and lowers the peak RSS.
 */
const WORKER_YOUNG_GENERATION_MB = 8;

/** Chunks a worker holds at once: the one it builds and the next, so it never waits for this thread. */
const CHUNKS_PER_WORKER = 2;

class ChunkWorker {
  readonly pending = new Map<number, Pending>();
  private readonly worker: Worker;
  /** Set once the worker has failed or exited: later chunks fail at once instead of waiting forever. */
  private failure: Error | undefined;

  constructor(settings: GeneratorSettings) {
    this.worker = new Worker(WORKER_ENTRY, {
      workerData: { settings },
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    this.worker.on('message', (reply: ChunkReply) => {
      const waiting = this.pending.get(reply.id)!;
      this.pending.delete(reply.id);
      if ('built' in reply) waiting.resolve(reply.built);
      else waiting.reject(new Error(`transaction worker failed: ${reply.error}`));
    });
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', (code) => this.failAll(new Error(`transaction worker exited with code ${code}`)));
  }

  send(world: TransactionWorldData): void {
    const request: WorkerRequest = { kind: 'world', world };
    this.worker.postMessage(request);
  }

  build(id: number, chunk: TransactionChunk, sentDays: number[], buffer: ArrayBuffer): Promise<BuiltChunk> {
    return new Promise((resolve, reject) => {
      if (this.failure) {
        reject(this.failure);
        return;
      }
      this.pending.set(id, { resolve, reject });
      const request: WorkerRequest = { kind: 'chunk', id, chunk, sentDays, buffer };
      this.worker.postMessage(request, [buffer]);
    });
  }

  async terminate(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}

/**
 * Builds chunks on `workers` worker threads and on this thread. The workers start at once, so they load their
 * code while this thread builds the entity world, and get the world's transaction data when it is ready
 * (`useWorld`). With 0 workers everything is built here, one chunk at a time.
 */
export class TransactionWorkerPool implements ChunkBuilder {
  private readonly workers: ChunkWorker[];
  private local: RecordMakers | undefined;
  private nextId = 0;
  /** Buffers whose chunk has been written, ready for the next chunk. */
  private readonly freeBuffers: ArrayBuffer[] = [];
  /**
   * Each worker's chunks, plus two built here while the next to write is still in a worker (so this thread
   * has work while it waits); a chunk buffer is ~5 MB.
   */
  readonly ahead: number;

  constructor(
    private readonly settings: GeneratorSettings,
    workers: number,
  ) {
    this.workers = Array.from({ length: workers }, () => new ChunkWorker(settings));
    this.ahead = workers === 0 ? 1 : CHUNKS_PER_WORKER * workers + 2;
  }

  /** Hands the world's transaction data to the workers and to this thread's builder. */
  useWorld(world: TransactionWorldData): void {
    for (const worker of this.workers) worker.send(world);
    this.local = createRecordMakers(this.settings, new TransactionWorld(world));
  }

  buildElsewhere(chunk: TransactionChunk, sentDays: ReadonlySet<number>): Promise<BuiltChunk> | undefined {
    let idlest: ChunkWorker | undefined;
    for (const worker of this.workers) {
      if (worker.pending.size < (idlest?.pending.size ?? CHUNKS_PER_WORKER)) idlest = worker;
    }
    return idlest?.build(this.nextId++, chunk, [...sentDays], this.takeBuffer());
  }

  buildHere(chunk: TransactionChunk, sentDays: ReadonlySet<number>): BuiltChunk {
    if (!this.local) throw new Error('TransactionWorkerPool: useWorld() first');
    return buildTransactionChunk(this.settings, this.local, chunk, sentDays, Buffer.from(this.takeBuffer()));
  }

  /** Takes back the buffer of a chunk that has been written (a larger one when the chunk outgrew its own). */
  release(bytes: Uint8Array): void {
    this.freeBuffers.push(bytes.buffer as ArrayBuffer);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private takeBuffer(): ArrayBuffer {
    return this.freeBuffers.pop() ?? new ArrayBuffer(CHUNK_BUFFER_BYTES);
  }
}
