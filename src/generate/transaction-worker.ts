/**
 * Worker thread of `TransactionWorkerPool`: receives the settings at start, then the world's transaction data
 * (a structured clone of the main thread's, so its records are the main thread's), then builds the chunks it
 * is sent into the buffers it is lent and transfers them back without a copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildTransactionChunk, createRecordMakers, type RecordMakers } from './build-transaction-chunk.ts';
import type { GeneratorSettings } from './generator-settings.ts';
import type { ChunkReply, WorkerRequest } from './transaction-worker-pool.ts';
import { TransactionWorld } from './transaction-world.ts';

const { settings } = workerData as { settings: GeneratorSettings };
let makers: RecordMakers | undefined;

parentPort!.on('message', (request: WorkerRequest) => {
  if (request.kind === 'world') {
    makers = createRecordMakers(settings, new TransactionWorld(request.world));
    return;
  }
  try {
    const built = buildTransactionChunk(
      settings,
      makers!,
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
