/**
 * How the quality task writes to the lake: its results record and a hold (quality-results-store.ts,
 * quality-holds.ts) are objects under new names, published together by one commit of the lake's log, under the
 * writer lease, so a reader sees both or neither and a hold replaced is the one committed last.
 */
import type { TableChange } from '../lake/commit-log/commit-tables.ts';
import type { Lake } from '../lake/lake.ts';

/**
 * Runs `changes` (which put the objects and say what they replace) as the lake's writer, then commits what they
 * return in one commit; empty changes are left out, and nothing is committed when all are empty. `signal` stops
 * the wait for the writer lease.
 */
export async function commitQualityChanges(
  lake: Lake,
  runId: string,
  changes: () => Promise<TableChange[]>,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  await lake.withWriterLease(async () => {
    const published = (await changes()).filter((change) => change.add.length + change.remove.length > 0);
    if (published.length > 0) await lake.commit(published, { operation: 'WRITE', runId });
  }, options);
}
