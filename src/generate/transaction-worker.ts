/**
 * Worker thread of `TransactionWorkerPool`: receives the settings at start, then the world's transaction data
 * (a structured clone of the main thread's, so its records are the main thread's), then builds the chunks it
 * is sent into the buffers it is lent and transfers them back without a copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildTransactionChunk } from './build-transaction-chunk.ts';
import type { GeneratorSettings } from './generator-settings.ts';
import { TransactionFactory } from './transaction-factory.ts';
import type { ChunkReply, WorkerRequest } from './transaction-worker-pool.ts';
import { TransactionWorld } from './transaction-world.ts';
import { ZoneClock } from './zone-clock.ts';

const { settings } = workerData as { settings: GeneratorSettings };
let factory: TransactionFactory | undefined;

parentPort!.on('message', (request: WorkerRequest) => {
  if (request.kind === 'world') {
    factory = new TransactionFactory(
      settings,
      new TransactionWorld(request.world),
      new ZoneClock(settings.timezone),
    );
    return;
  }
  try {
    const built = buildTransactionChunk(
      settings,
      factory!,
      request.chunk,
      new Set(request.sentDays),
      Buffer.from(request.buffer),
    );
    const reply: ChunkReply = { id: request.id, built };
    parentPort!.postMessage(reply, [built.bytes.buffer as ArrayBuffer]);
  } catch (error) {
    const reply: ChunkReply = { id: request.id, error: error instanceof Error ? error.stack : String(error) };
    parentPort!.postMessage(reply);
  }
});
