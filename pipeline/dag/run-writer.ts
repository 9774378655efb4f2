/**
 * Who writes the warehouse during a run of `daily_batch_etl`. The lock belongs to the run's driver: the process
 * driving it (`run`, `backfill`, `scheduler`, `task`, `demo`) holds the home's writer lease and the warehouse's
 * writer lock, recorded under a tag of that lease ({@link writerOwnerOf}). Its tasks in the same process write
 * under that lock; its tasks on queue workers join it for the length of their try ({@link joinRunWriter}), which
 * they may only while the lease is held by the process driving their run. So two homes, or two drivers of one
 * home, never interleave on a warehouse, and the workers of the lock holder's run write as if they were it.
 *
 * @example
 *   await warehouse.acquireWriterLock({ holder, waitSeconds, owner: writerOwnerOf(lease.record) });
 *   const joined = await joinRunWriter(store, warehouse, runId, 'load'); // on a worker
 *   try { await loadWarehouse(…); } finally { await joined.release(); }
 */
import { createHash } from 'node:crypto';
import { WRITER_LEASE } from '../../src/orchestrator/execution/lease.ts';
import type { LeaseRecord, StateStore } from '../../src/orchestrator/state/state-store.ts';
import {
  type Warehouse,
  WarehouseLockedError,
  type WarehouseWriterLock,
} from '../../src/warehouse/warehouse.ts';

/** A digest of the lease's token: the token itself renews and releases the lease, so it stays in the state store. */
export function writerOwnerOf(lease: Pick<LeaseRecord, 'name' | 'token'>): string {
  return `lease ${lease.name} ${createHash('sha256').update(lease.token).digest('hex').slice(0, 32)}`;
}

/**
 * A try of run `runId` on this process joins its driver's writer lock: the home's writer lease must be live and
 * held by the process the run's record names as its driver, and the warehouse's lock held under that lease.
 * Else WarehouseLockedError: the try fails, and the driver's retry policy tries again.
 */
export async function joinRunWriter(
  store: StateStore,
  warehouse: Warehouse,
  runId: string,
  task: string,
  now: Date = new Date(),
): Promise<WarehouseWriterLock> {
  const [run, lease] = await Promise.all([store.getRun(runId), store.getLease(WRITER_LEASE)]);
  const joiner = `${task} of ${runId} (pid ${process.pid})`;
  if (!run) throw new WarehouseLockedError(`task ${joiner}: run ${runId} is not in ${store.location}`);
  const driver = run.process;
  if (
    !lease ||
    lease.expiresAt.getTime() <= now.getTime() ||
    lease.holder.pid !== driver.pid ||
    lease.holder.host !== driver.host
  ) {
    const held =
      lease && lease.expiresAt.getTime() > now.getTime()
        ? `it is held by process ${lease.holder.pid} on ${lease.holder.host} (${lease.holder.command})`
        : 'nobody holds it';
    throw new WarehouseLockedError(
      `task ${joiner} writes the warehouse only while process ${driver.pid} on ${driver.host}, which drives its ` +
        `run, holds the home's writer lease, and ${held}`,
    );
  }
  return warehouse.joinWriterLock({ owner: writerOwnerOf(lease), joiner: `task ${joiner}` });
}
