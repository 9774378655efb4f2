/**
 * Serializes the writers of a lake. A commit must know the next log version is its own; S3 cannot promise that
 * without conditional writes (which S3-compatible servers may ignore), so every commit is made under a lease and
 * checks the lease right before its commit point.
 */

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { PipelineError } from '../../core/errors.ts';
import { isProcessAlive } from '../../core/process-alive.ts';
import { ObjectExistsError, ObjectNotFoundError, type ObjectStore } from '../object-store.ts';

/** Proof that this process is the lake's one writer; checked before every commit point. */
export interface WriterLease {
  /** Who holds it (host, pid, token), for messages and commitInfo. */
  readonly owner: string;
  /** Throws `LeaseLostError` when the lease expired or another writer took it. */
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

export class LeaseBusyError extends PipelineError {
  override name = 'LeaseBusyError';
}

export class LeaseLostError extends PipelineError {
  override name = 'LeaseLostError';
}

interface LeaseRecord {
  owner: string;
  token: string;
  expiresAt: number;
  /** Where the holder runs: on the same host a holder whose pid is gone (killed) frees the lease at once. */
  host?: string;
  pid?: number;
}

export interface ObjectLeaseOptions {
  /** The lease lapses this long after the last renewal (a crashed writer's lease frees itself). */
  ttlMs?: number;
  /** How long `acquire` waits for a busy lease before giving up. */
  waitMs?: number;
  /** Pause between writing the lease and reading it back: two racing writers both see who won. */
  settleMs?: number;
  now?: () => number;
  /** Whether a process of this host is alive (default: signal 0). */
  isAlive?: (pid: number) => boolean;
  /** Stops waiting for a busy lease (a task's timeout or stop): `acquire` fails with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * A lease as an object (`_leases/<name>.json`) in the lake itself, for a deployment without a shared state store.
 * It is created with `ifAbsent` (atomic on a local folder and on AWS S3, which honours If-None-Match), then
 * read back after `settleMs`, so that on a server ignoring conditional writes two writers racing for a lapsed
 * lease still see the same winner unless one pauses longer than `settleMs` between its write and its read.
 * A lease whose holder died on this host (its pid is gone) is taken over at once; one held elsewhere when it
 * lapses.
 * A state-store lease (a PostgreSQL row) gives the same interface without that caveat.
 */
export async function acquireObjectLease(
  store: ObjectStore,
  name: string,
  options: ObjectLeaseOptions = {},
): Promise<WriterLease> {
  const ttlMs = options.ttlMs ?? 120_000;
  const waitMs = options.waitMs ?? 0;
  const settleMs = options.settleMs ?? 200;
  const now = options.now ?? Date.now;
  const key = `_leases/${name}.json`;
  const isAlive = options.isAlive ?? isProcessAlive;
  const mine: LeaseRecord = {
    owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    token: randomUUID(),
    expiresAt: 0,
    host: hostname(),
    pid: process.pid,
  };
  const deadline = now() + waitMs;
  const read = async (): Promise<LeaseRecord | undefined> => {
    try {
      return JSON.parse((await store.get(key)).toString('utf8')) as LeaseRecord;
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return undefined;
      throw error;
    }
  };
  const write = (ifAbsent: boolean) =>
    store.put(key, JSON.stringify({ ...mine, expiresAt: now() + ttlMs }), { ifAbsent });

  for (;;) {
    options.signal?.throwIfAborted();
    const current = await read();
    const holderDead =
      current !== undefined &&
      current.host === mine.host &&
      current.pid !== undefined &&
      !isAlive(current.pid);
    if (current && current.token !== mine.token && current.expiresAt > now() && !holderDead) {
      if (now() >= deadline) {
        throw new LeaseBusyError(
          `the lake writer lease '${name}' is held by ${current.owner} until ${new Date(current.expiresAt).toISOString()}; another run is writing`,
        );
      }
      await sleep(Math.min(1000, Math.max(50, deadline - now())), undefined, {
        ...(options.signal ? { signal: options.signal } : {}),
      }).catch(() => options.signal?.throwIfAborted());
      continue;
    }
    try {
      // A lapsed lease is overwritten; a free one is created without overwriting a racing writer's.
      await write(current === undefined);
    } catch (error) {
      if (error instanceof ObjectExistsError) continue;
      throw error;
    }
    await sleep(settleMs);
    if ((await read())?.token === mine.token) break;
  }

  let released = false;
  const renew = setInterval(
    () => {
      void read()
        .then((current) => (current?.token === mine.token ? write(false) : undefined))
        .catch(() => undefined);
    },
    Math.max(1000, Math.floor(ttlMs / 3)),
  );
  renew.unref();
  return {
    owner: mine.owner,
    async assertHeld() {
      const current = await read();
      // A margin, so the lease cannot lapse between this check and the commit point's one put.
      if (
        released ||
        current?.token !== mine.token ||
        current.expiresAt < now() + Math.min(10_000, ttlMs / 4)
      ) {
        throw new LeaseLostError(
          `the lake writer lease '${name}' was lost${current && current.token !== mine.token ? ` to ${current.owner}` : ''}; nothing was committed`,
        );
      }
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(renew);
      if ((await read())?.token === mine.token) await store.delete(key);
    },
  };
}
