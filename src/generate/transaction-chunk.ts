/**
 * A transactions partition cut into chunks that can be built independently and concatenated in order: the
 * day's base records in index ranges, then the re-sends due on the day, scanned by (base day, index range).
 * Each record is rebuilt from its coordinates, so a chunk needs no other chunk; that is what lets worker
 * threads build chunks side by side while the file stays byte-identical to building them one after the other.
 */
import { RESEND_WINDOW_DAYS } from './generator-settings.ts';

export type TransactionChunk =
  /** Base records `from`..`to`-1 of ingest day `day`. */
  | { kind: 'base'; day: number; from: number; to: number }
  /** Re-sends due on `day` of base day `baseDay`'s records `from`..`to`-1. */
  | { kind: 'resend'; day: number; baseDay: number; from: number; to: number };

/**
 * Base records per chunk: large enough that a chunk's message round trip is noise (~3.5 MB of lines), small
 * enough that the chunks in flight stay a few tens of MB.
 */
export const BASE_CHUNK_ROWS = 8192;
/** The re-send scan mostly hashes and skips (1-2 % of records are re-sent), so its chunks span more records. */
const RESEND_CHUNK_ROWS = 16 * BASE_CHUNK_ROWS;

/** The chunks of ingest day `day`, in file order. */
export function chunksOfDay(day: number, rowsPerDay: number): TransactionChunk[] {
  const chunks: TransactionChunk[] = [];
  for (let from = 0; from < rowsPerDay; from += BASE_CHUNK_ROWS) {
    chunks.push({ kind: 'base', day, from, to: Math.min(rowsPerDay, from + BASE_CHUNK_ROWS) });
  }
  for (let baseDay = day - RESEND_WINDOW_DAYS; baseDay <= day; baseDay++) {
    for (let from = 0; from < rowsPerDay; from += RESEND_CHUNK_ROWS) {
      chunks.push({ kind: 'resend', day, baseDay, from, to: Math.min(rowsPerDay, from + RESEND_CHUNK_ROWS) });
    }
  }
  return chunks;
}
