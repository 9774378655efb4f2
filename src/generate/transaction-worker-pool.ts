/**
 * Worker threads that build transaction chunks in parallel. Records are rebuilt from (seed, day, index), so
 * each worker holds a copy of the world's transaction data (a few MB, cloned once, no faker) and builds any
 * chunk it is given; the caller writes the results in chunk order, which keeps the file byte-identical to a
 * single-threaded build.
 */
import { Worker } from 'node:worker_threads';
import { type BuiltChunk, buildTransactionChunk, CHUNK_BUFFER_BYTES } from './build-transaction-chunk.ts';
import type { GeneratorSettings } from './generator-settings.ts';
import type { TransactionChunk } from './transaction-chunk.ts';
import { TransactionFactory } from './transaction-factory.ts';
import { TransactionWorld, type TransactionWorldData } from './transaction-world.ts';
import type { ChunkBuilder } from './write-transactions-day.ts';
import { ZoneClock } from './zone-clock.ts';

export interface ChunkRequest {
  id: number;
  chunk: TransactionChunk;
  sentDays: number[];
  /** Where to build the lines; transferred, and transferred back inside the reply's bytes. */
  buffer: ArrayBuffer;
}

export type ChunkReply = { id: number; built: BuiltChunk } | { id: number; error: string | undefined };

interface Pending {
  resolve: (built: BuiltChunk) => void;
  reject: (error: Error) => void;
}

/** A plain module, so Node can start it without tsx; it registers tsx and loads `transaction-worker.ts`. */
const WORKER_ENTRY = new URL('./transaction-worker-bootstrap.mjs', import.meta.url);

class ChunkWorker {
  readonly pending = new Map<number, Pending>();
  private readonly worker: Worker;

  constructor(settings: GeneratorSettings, world: TransactionWorldData) {
    this.worker = new Worker(WORKER_ENTRY, { workerData: { settings, world } });
    this.worker.on('message', (reply: ChunkReply) => {
      const waiting = this.pending.get(reply.id)!;
      this.pending.delete(reply.id);
      if ('built' in reply) waiting.resolve(reply.built);
      else waiting.reject(new Error(`transaction worker failed: ${reply.error}`));
    });
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', (code) => this.failAll(new Error(`transaction worker exited with code ${code}`)));
  }

  build(request: ChunkRequest): Promise<BuiltChunk> {
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      this.worker.postMessage(request, [request.buffer]);
    });
  }

  async terminate(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private failAll(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}

/**
 * Builds chunks on `workers` worker threads and on this thread, in turn: this thread would otherwise only
 * hash and write, so it takes an equal share of the building (on 2 cores, 1 worker + this thread keeps both
 * cores busy with one worker's memory). With 0 workers everything is built here, one chunk at a time.
 */
export class TransactionWorkerPool implements ChunkBuilder {
  private readonly workers: ChunkWorker[];
  private readonly local: TransactionFactory;
  private nextId = 0;
  private turn = 0;
  /** Buffers whose chunk has been written, ready for the next chunk. */
  private readonly freeBuffers: ArrayBuffer[] = [];
  /** Two chunks per worker keep it busy while this thread writes; this thread builds when a chunk is asked. */
  readonly ahead: number;

  constructor(
    private readonly settings: GeneratorSettings,
    world: TransactionWorldData,
    workers: number,
  ) {
    this.workers = Array.from({ length: workers }, () => new ChunkWorker(settings, world));
    this.local = new TransactionFactory(
      settings,
      new TransactionWorld(world),
      new ZoneClock(settings.timezone),
    );
    this.ahead = 2 * workers + 1;
  }

  build(chunk: TransactionChunk, sentDays: ReadonlySet<number>): BuiltChunk | Promise<BuiltChunk> {
    const buffer = this.freeBuffers.pop() ?? new ArrayBuffer(CHUNK_BUFFER_BYTES);
    const turn = this.turn++ % (this.workers.length + 1);
    if (turn === this.workers.length) {
      return buildTransactionChunk(this.settings, this.local, chunk, sentDays, Buffer.from(buffer));
    }
    return this.workers[turn]!.build({ id: this.nextId++, chunk, sentDays: [...sentDays], buffer });
  }

  /** Takes back the buffer of a chunk that has been written (a larger one when the chunk outgrew its own). */
  release(bytes: Uint8Array): void {
    this.freeBuffers.push(bytes.buffer as ArrayBuffer);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
