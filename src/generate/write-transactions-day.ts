/**
 * Streams one ingest day of transactions into a sink: the day's base transactions in index order, then the
 * duplicates and updates that fall due on this day from base days D-3..D (in base day, index order). Every
 * record is rebuilt from its coordinates, so nothing of earlier days is kept in memory or read from disk, and
 * the day splits into chunks (`chunksOfDay`) that are built ahead, on worker threads and on this thread, and
 * written in order.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { BuiltChunk } from './build-transaction-chunk.ts';
import { type GroundTruth, GroundTruthCounter } from './ground-truth.ts';
import type { LineSink } from './line-sink.ts';
import { chunksOfDay, type TransactionChunk } from './transaction-chunk.ts';

/** Called every few thousand records with how many base records of the day are done. */
export type ProgressListener = (baseRecordsDone: number) => void;

/** Builds chunks on worker threads and on this thread. */
export interface ChunkBuilder {
  /** Hands the chunk to a worker thread that has room for more work; undefined when none has. */
  buildElsewhere(chunk: TransactionChunk, sentDays: ReadonlySet<number>): Promise<BuiltChunk> | undefined;
  /** Builds the chunk on this thread. */
  buildHere(chunk: TransactionChunk, sentDays: ReadonlySet<number>): BuiltChunk;
  /** Hands back a built chunk's bytes once written, so their buffer serves a later chunk. */
  release(bytes: Uint8Array): void;
  /** How many chunks may be built and not yet written at once: bounds the memory in chunk buffers. */
  readonly ahead: number;
}

/**
 * Chunks being written to disk in the background at once: the next chunk is built and hashed while the
 * previous one goes to disk (a blocked write does not stall this thread), and memory stays bounded.
 */
const WRITES_IN_FLIGHT = 2;

interface ChunkInMaking {
  built: BuiltChunk | undefined;
  /** Set while a worker builds it. */
  elsewhere: Promise<BuiltChunk> | undefined;
}

/**
 * Writes the day's chunks in order. The workers are kept supplied first; this thread hashes and writes, and
 * builds a chunk itself only when the next one to write is not ready yet. So the share each thread builds
 * follows from how fast each is (this thread's writing and hashing included), and no core waits on another.
 */
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
  const inMaking: ChunkInMaking[] = [];
  const writing: Promise<void>[] = [];
  let next = 0;
  while (next < chunks.length || inMaking.length > 0) {
    while (next < chunks.length && inMaking.length < builder.ahead) {
      const elsewhere = builder.buildElsewhere(chunks[next]!, sentDays);
      if (!elsewhere) break;
      const chunk: ChunkInMaking = { built: undefined, elsewhere };
      // A failure surfaces where the chunk is awaited, in order.
      elsewhere.then(
        (built) => {
          chunk.built = built;
        },
        () => undefined,
      );
      inMaking.push(chunk);
      next++;
    }
    const head = inMaking[0];
    if (head?.built === undefined) {
      if (next < chunks.length && inMaking.length < builder.ahead) {
        inMaking.push({ built: builder.buildHere(chunks[next++]!, sentDays), elsewhere: undefined });
        await nextTurn(); // takes in the replies of workers that finished meanwhile
        continue;
      }
      head!.built = await head!.elsewhere!;
    }
    inMaking.shift();
    const built = head!.built;
    truth.addTruth(built.truth);
    if (writing.length >= WRITES_IN_FLIGHT) await writing.shift();
    const written = sink.writeLines(built.bytes, built.rows).then(() => builder.release(built.bytes));
    written.catch(() => undefined); // a failed write surfaces where it is awaited
    writing.push(written);
    await nextTurn();
    if (onProgress && built.baseRecords > 0) onProgress(built.baseRecords);
  }
  await Promise.all(writing);
  onProgress?.(rowsPerDay);
  return truth.result();
}
