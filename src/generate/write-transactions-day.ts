/**
 * Streams one ingest day of transactions into a sink: the day's base transactions in index order, then the
 * duplicates and updates that fall due on this day from base days D-3..D (in base day, index order). Every
 * record is rebuilt from its coordinates, so nothing of earlier days is kept in memory or read from disk, and
 * the day splits into chunks (`chunksOfDay`) that are built ahead, possibly on worker threads, and written in
 * order.
 */
import type { BuiltChunk } from './build-transaction-chunk.ts';
import { type GroundTruth, GroundTruthCounter } from './ground-truth.ts';
import type { LineSink } from './line-sink.ts';
import { chunksOfDay, type TransactionChunk } from './transaction-chunk.ts';

/** Called every few thousand records with how many base records of the day are done. */
export type ProgressListener = (baseRecordsDone: number) => void;

/** Builds a chunk, on this thread or elsewhere. */
export interface ChunkBuilder {
  build(chunk: TransactionChunk, sentDays: ReadonlySet<number>): BuiltChunk | Promise<BuiltChunk>;
  /** Hands back a built chunk's bytes once written, so their buffer serves a later chunk. */
  release(bytes: Uint8Array): void;
  /** How many chunks may be in the making at once (more keeps workers busy, fewer holds less memory). */
  readonly ahead: number;
}

export async function writeTransactionsDay(
  builder: ChunkBuilder,
  rowsPerDay: number,
  day: number,
  sink: LineSink,
  sentDays: ReadonlySet<number>,
  onProgress?: ProgressListener,
): Promise<GroundTruth> {
  const truth = new GroundTruthCounter(day);
  const chunks = chunksOfDay(day, rowsPerDay);
  const inFlight: (BuiltChunk | Promise<BuiltChunk>)[] = [];
  let next = 0;
  while (next < chunks.length || inFlight.length > 0) {
    while (next < chunks.length && inFlight.length < builder.ahead) {
      inFlight.push(builder.build(chunks[next++]!, sentDays));
    }
    const built = await inFlight.shift()!;
    truth.addTruth(built.truth);
    const pending = sink.writeLines(built.bytes, built.rows);
    if (pending) await pending;
    builder.release(built.bytes);
    if (onProgress && built.baseRecords > 0) onProgress(built.baseRecords);
  }
  onProgress?.(rowsPerDay);
  return truth.result();
}
