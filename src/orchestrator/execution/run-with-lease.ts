/**
 * What a writing command does around one date: take the home's writer lease (waiting up to `waitSeconds`),
 * run the DAG for the date with a stop signal that also fires if the lease is lost, release the lease.
 * `run`, each date of `backfill`, and each due date of the scheduler go through here.
 */
import type { TaskEventSink } from '../definitions/task-event.ts';
import { acquireLease, WRITER_LEASE } from './lease.ts';
import { type DagRunResult, type RunDagOptions, runDag } from './run-dag.ts';

export interface RunWithLeaseOptions extends RunDagOptions {
  /** Seconds to wait for another writer (`--wait`). */
  waitSeconds?: number;
  leaseTtlMs?: number;
  events?: TaskEventSink;
}

/** The lease runs on the system clock even when `clock` is fake: another process must read its times as real. */
export async function runWithWriterLease(options: RunWithLeaseOptions): Promise<DagRunResult> {
  const lease = await acquireLease({
    store: options.store,
    name: WRITER_LEASE,
    waitSeconds: options.waitSeconds ?? 0,
    ...(options.identity ? { holder: options.identity } : {}),
    ...(options.leaseTtlMs !== undefined ? { ttlMs: options.leaseTtlMs } : {}),
    ...(options.isAlive ? { isAlive: options.isAlive } : {}),
    ...(options.events ? { events: options.events } : {}),
  });
  try {
    const stopSignal = options.stopSignal ? AbortSignal.any([options.stopSignal, lease.lost]) : lease.lost;
    return await runDag({ ...options, stopSignal });
  } finally {
    await lease.release();
  }
}
