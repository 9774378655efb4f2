/**
 * One writer per home: `run`, `backfill` and `scheduler` take the `writer` lease before they touch the lake
 * and the warehouse, and the scheduler also holds the `scheduler` lease for its lifetime. A second process
 * waits up to `--wait` seconds, then fails with one sentence naming the holder. A lease whose holder died is
 * taken over: at once when the holder was on this machine and its pid is gone, else when the lease expires
 * (its holder renews it every ttl/4 while alive).
 *
 * @example
 *   const lease = await acquireLease({ store, name: WRITER_LEASE, waitSeconds: 30 });
 *   try { await runDag({ ..., stopSignal: lease.lost }); } finally { await lease.release(); }
 */
import { randomBytes } from 'node:crypto';
import { FintechEtlError } from '../../core/errors.ts';
import { isProcessAlive } from '../../core/process-alive.ts';
import { NO_TASK_EVENTS, type TaskEventSink } from '../definitions/task-event.ts';
import type { LeaseRecord, ProcessIdentity, StateStore } from '../state/state-store.ts';
import { type Clock, systemClock } from './clock.ts';
import { currentProcess } from './process-identity.ts';

export const WRITER_LEASE = 'writer';
export const SCHEDULER_LEASE = 'scheduler';

/** The lease is held by a live process: exit 1 for `run`/`backfill`, 2 for a second `scheduler`. */
export class LeaseHeldError extends FintechEtlError {
  override name = 'LeaseHeldError';
  constructor(
    message: string,
    readonly holder: LeaseRecord,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

/** `lost.reason` when the lease could not be renewed in time and another process may now hold it. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

export interface LeaseOptions {
  store: StateStore;
  name: string;
  holder?: ProcessIdentity;
  /** Seconds to wait for a live holder to release it; 0 fails at once. */
  waitSeconds?: number;
  /** Without a renewal for this long, the lease is free for anyone. */
  ttlMs?: number;
  renewEveryMs?: number;
  pollMs?: number;
  clock?: Clock;
  isAlive?: (pid: number) => boolean;
  /** Receives a notice when a dead holder's lease is taken over, and warnings about failed renewals. */
  events?: TaskEventSink;
  /** Exit code of the LeaseHeldError (the scheduler uses 2). */
  exitCode?: 1 | 2;
}

export interface HeldLease {
  readonly record: LeaseRecord;
  /** Aborted (reason: LeaseLostError) when renewals failed for a whole ttl: stop writing. */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

export async function acquireLease(options: LeaseOptions): Promise<HeldLease> {
  const { store, name } = options;
  const clock = options.clock ?? systemClock;
  const holder = options.holder ?? currentProcess();
  const ttlMs = options.ttlMs ?? 60_000;
  const isAlive = options.isAlive ?? isProcessAlive;
  const events = options.events ?? NO_TASK_EVENTS;
  const token = randomBytes(12).toString('hex');
  const started = clock.now().getTime();
  const deadline = started + (options.waitSeconds ?? 0) * 1000;

  for (;;) {
    const now = clock.now();
    let attempt = await store.acquireLease({ name, token, holder, now, ttlMs });
    if (!attempt.acquired) {
      const current = attempt.current;
      const holderDead = current.holder.host === holder.host && !isAlive(current.holder.pid);
      if (holderDead) {
        attempt = await store.acquireLease({ name, token, holder, now, ttlMs, replaceToken: current.token });
        if (attempt.acquired) {
          events.emit({
            kind: 'notice',
            message: `took over the ${name} lease from process ${current.holder.pid} on ${current.holder.host}, which is no longer running`,
          });
        }
      }
    }
    if (attempt.acquired) return holdLease(store, attempt.lease, { ...options, ttlMs, clock, events });
    if (now.getTime() >= deadline) {
      const waited = Number(((now.getTime() - started) / 1000).toFixed(1));
      throw new LeaseHeldError(
        `another fintech-etl process holds the ${name} lease of this home: ${describeHolder(attempt.current)}` +
          (waited > 0 ? `; waited ${waited} s` : '; use --wait SECONDS to wait for it'),
        attempt.current,
        options.exitCode,
      );
    }
    await clock.sleep(Math.min(options.pollMs ?? 1000, Math.max(0, deadline - now.getTime())));
  }
}

/** `process 123 on etl-1 (fintech-etl run --date 2025-03-01), since 2025-03-01T06:00:00.000Z` */
export function describeHolder(lease: LeaseRecord): string {
  const { pid, host, command } = lease.holder;
  return `process ${pid} on ${host} (${command}), since ${lease.acquiredAt.toISOString()}`;
}

function holdLease(
  store: StateStore,
  record: LeaseRecord,
  options: LeaseOptions & { ttlMs: number; clock: Clock; events: TaskEventSink },
): HeldLease {
  const lost = new AbortController();
  let expiresAt = record.expiresAt.getTime();
  let renewing = false;
  const timer = setInterval(
    async () => {
      if (renewing || lost.signal.aborted) return;
      renewing = true;
      try {
        const renewed = await store.renewLease(record.name, record.token, options.clock.now(), options.ttlMs);
        if (renewed) expiresAt = renewed.expiresAt.getTime();
        else lose(`the ${record.name} lease was taken over by another process`);
      } catch (error) {
        options.events.emit({
          kind: 'warning',
          message: `could not renew the ${record.name} lease: ${(error as Error).message}`,
        });
        if (options.clock.now().getTime() >= expiresAt)
          lose(`the ${record.name} lease expired: renewals failed`);
      } finally {
        renewing = false;
      }
    },
    options.renewEveryMs ?? Math.max(50, Math.floor(options.ttlMs / 4)),
  );
  timer.unref();
  const lose = (message: string) => {
    clearInterval(timer);
    lost.abort(new LeaseLostError(message));
  };
  return {
    record,
    lost: lost.signal,
    release: async () => {
      clearInterval(timer);
      await store.releaseLease(record.name, record.token);
    },
  };
}
