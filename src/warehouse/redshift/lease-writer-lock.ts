/**
 * The writer lock of a Redshift warehouse, which has no advisory locks: a lease, a row of `audit.writer_lease`
 * that names its holder and lapses unless renewed. Every read-and-write of the table runs in a transaction that
 * first takes `LOCK audit.writer_lease` (Redshift's LOCK holds until the transaction ends), so two homes racing
 * for a free lease see one winner. A holder renews its row every third of the lease's time to live; a holder
 * killed on another machine frees the lease when it lapses, one killed on this machine (its pid is gone) at once.
 *
 * Tasks of the holder's run on queue workers join the lock (`joinLeaseWriterLock`): each checks that the lease
 * is held under its run's `owner`, then keeps a row of its own (`join:<token>`) renewed while it writes. A new
 * holder waits until no live row of another owner's tasks is left, as with PostgreSQL's writes-in-flight key.
 *
 * The SQL is plain enough for Redshift and PostgreSQL alike (no server clock: times are the writers' clocks in
 * epoch milliseconds, as for the lake's lease), so the tests run it on PostgreSQL and pin the statements.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { isProcessAlive } from '../../core/process-alive.ts';
import { redact } from '../../core/redact.ts';
import { ignoreConcurrentCreate } from '../postgres/advisory-writer-lock.ts';
import type { PgClientLike, PgPoolLike } from '../postgres/connection-pool.ts';
import {
  type JoinWriterLockOptions,
  WarehouseLockedError,
  type WarehouseWriterLock,
  type WriterLockOptions,
} from '../warehouse.ts';

const TABLE = 'audit.writer_lease';
/** The row of the lease itself; joined tasks have rows named `join:<token>`. */
const LEASE = 'warehouse';
const JOIN_PREFIX = 'join:';

export interface LeaseTiming {
  /** The lease lapses this long after its last renewal. */
  ttlMs?: number;
  now?: () => number;
  isAlive?: (pid: number) => boolean;
}

interface LeaseRow {
  name: string;
  holder: string;
  owner: string | null;
  token: string;
  host: string | null;
  pid: number | null;
  acquired_at: string;
  expires_ms: string | number;
}

/** A row of this table, as a writer records itself. */
interface Mine {
  name: string;
  holder: string;
  owner: string | null;
  token: string;
}

/**
 * Takes the lease for `options.holder`, waiting up to `options.waitSeconds` for a live holder, then waits for
 * the writes of a previous holder's joined tasks; fails with WarehouseLockedError naming who holds it.
 */
export async function acquireLeaseWriterLock(
  pool: PgPoolLike,
  where: string,
  options: WriterLockOptions,
  timing: LeaseTiming = {},
): Promise<WarehouseWriterLock> {
  const clock = clockOf(timing);
  await createTable(pool);
  const mine: Mine = {
    name: LEASE,
    holder: options.holder,
    owner: options.owner ?? null,
    token: randomUUID(),
  };
  const deadline = clock.now() + options.waitSeconds * 1000;
  const waited =
    options.waitSeconds > 0 ? `; waited ${options.waitSeconds} s` : '; use --wait SECONDS to wait for it';
  for (;;) {
    const busy = await locked(pool, async (client) => {
      const current = (await readRows(client)).find((row) => row.name === LEASE);
      if (current && current.token !== mine.token && clock.live(current)) return current;
      // The lease, and the rows of joined tasks that lapsed (their writers died without letting go).
      await client.query({
        text: `delete from ${TABLE} where name = $1 or (name like $2 and expires_ms < $3)`,
        values: [LEASE, `${JOIN_PREFIX}%`, clock.now()],
      });
      await insertRow(client, mine, clock);
      return undefined;
    });
    if (!busy) break;
    if (clock.now() >= deadline) {
      throw new WarehouseLockedError(
        `another fintech-etl process is writing this warehouse (${where}): ${busy.holder}, since ${busy.acquired_at}${waited}`,
      );
    }
    await sleep(Math.min(options.pollMs ?? 1000, Math.max(0, deadline - clock.now())));
  }
  const held = renewing(pool, mine, clock, 'lost');
  try {
    await waitForJoinedWrites(pool, where, mine, clock, deadline, waited, options.pollMs);
  } catch (error) {
    await held.release();
    throw error;
  }
  return held;
}

/**
 * A task of the holder's run on another process: checks the lease is held under `options.owner` and keeps a row
 * of its own renewed until `release`, so a next holder waits for its writes.
 */
export async function joinLeaseWriterLock(
  pool: PgPoolLike,
  where: string,
  options: JoinWriterLockOptions,
  timing: LeaseTiming = {},
): Promise<WarehouseWriterLock> {
  const clock = clockOf(timing);
  await createTable(pool);
  const token = randomUUID();
  const mine: Mine = { name: `${JOIN_PREFIX}${token}`, holder: options.joiner, owner: options.owner, token };
  await locked(pool, async (client) => {
    const current = (await readRows(client)).find((row) => row.name === LEASE);
    if (!current || !clock.live(current) || current.owner !== options.owner) {
      const held =
        current && clock.live(current)
          ? `${current.holder}, since ${current.acquired_at} holds it`
          : 'nobody holds it';
      throw new WarehouseLockedError(
        `${options.joiner} writes the warehouse (${where}) only while the process driving its run holds the warehouse's writer lock, and ${held}`,
      );
    }
    await insertRow(client, mine, clock);
  });
  return renewing(pool, mine, clock, 'unvouched');
}

/** A new holder waits until the live joined tasks of other owners (a dead holder's run) have ended. */
async function waitForJoinedWrites(
  pool: PgPoolLike,
  where: string,
  mine: Mine,
  clock: Clock,
  deadline: number,
  waited: string,
  pollMs = 1000,
): Promise<void> {
  for (;;) {
    const writers = await locked(pool, async (client) =>
      (await readRows(client)).filter(
        (row) => row.name.startsWith(JOIN_PREFIX) && clock.live(row) && row.owner !== mine.owner,
      ),
    );
    if (writers.length === 0) return;
    if (clock.now() >= deadline) {
      throw new WarehouseLockedError(
        `another fintech-etl process is writing this warehouse (${where}): ${writers.map((row) => row.holder).join(', ')}, a task of a run whose driver no longer holds the warehouse${waited}`,
      );
    }
    await sleep(Math.min(pollMs, Math.max(0, deadline - clock.now())));
  }
}

/**
 * Renews `mine` every third of the time to live until released; when its row is gone or another's (the lease
 * lapsed and was taken) or cannot be renewed before it lapses, `lost` aborts.
 */
function renewing(
  pool: PgPoolLike,
  mine: Mine,
  clock: Clock,
  kind: 'lost' | 'unvouched',
): WarehouseWriterLock {
  const lost = new AbortController();
  let released = false;
  let renewedAt = clock.now();
  const fail = (reason: string) => {
    if (released || lost.signal.aborted) return;
    lost.abort(
      new Error(
        kind === 'lost'
          ? `the warehouse's writer lock was lost: ${redact(reason)}`
          : `the warehouse's writer lock could no longer be vouched for: ${redact(reason)}`,
      ),
    );
  };
  let renewal: Promise<void> = Promise.resolve();
  const renew = async () => {
    try {
      const still = await locked(pool, async (client) => {
        const row = (await readRows(client)).find((candidate) => candidate.name === mine.name);
        if (row?.token !== mine.token) return false;
        await client.query({
          text: `update ${TABLE} set expires_ms = $1 where name = $2 and token = $3`,
          values: [clock.now() + clock.ttlMs, mine.name, mine.token],
        });
        return true;
      });
      if (!still) fail(`its row in ${TABLE} was taken over after it lapsed`);
      else renewedAt = clock.now();
    } catch (error) {
      if (clock.now() - renewedAt >= clock.ttlMs) fail((error as Error).message);
    }
  };
  let renewing = false;
  const timer = setInterval(
    () => {
      // One renewal at a time: a slow server skips ticks rather than queueing them.
      if (renewing) return;
      renewing = true;
      renewal = renew().finally(() => {
        renewing = false;
      });
    },
    Math.max(100, Math.floor(clock.ttlMs / 3)),
  );
  timer.unref();
  return {
    lost: lost.signal,
    release: async () => {
      released = true;
      clearInterval(timer);
      await renewal;
      await locked(pool, (client) =>
        client.query({
          text: `delete from ${TABLE} where name = $1 and token = $2`,
          values: [mine.name, mine.token],
        }),
      ).catch(() => undefined);
    },
  };
}

interface Clock {
  now(): number;
  ttlMs: number;
  /** Whether a row's writer may still be writing: not lapsed, and not a process found dead on this host. */
  live(row: LeaseRow): boolean;
}

function clockOf(timing: LeaseTiming): Clock {
  const now = timing.now ?? Date.now;
  const isAlive = timing.isAlive ?? isProcessAlive;
  const host = hostname();
  return {
    now,
    ttlMs: timing.ttlMs ?? 120_000,
    live: (row) =>
      Number(row.expires_ms) > now() && !(row.host === host && row.pid !== null && !isAlive(Number(row.pid))),
  };
}

async function createTable(pool: PgPoolLike): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('create schema if not exists audit').catch(ignoreConcurrentCreate);
    await client
      .query(
        `create table if not exists ${TABLE} (name varchar(200), holder varchar(2000), owner varchar(200), token varchar(64), host varchar(255), pid integer, acquired_at varchar(40), expires_ms bigint)`,
      )
      .catch(ignoreConcurrentCreate);
  } finally {
    client.release();
  }
}

/** Runs `fn` in a transaction holding LOCK on the lease table: one reader-writer of it at a time. */
async function locked<T>(pool: PgPoolLike, fn: (client: PgClientLike) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('begin');
    await client.query(`lock ${TABLE}`);
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

async function readRows(client: PgClientLike): Promise<LeaseRow[]> {
  const result = (await client.query(
    `select name, holder, owner, token, host, pid, acquired_at, expires_ms from ${TABLE}`,
  )) as { rows: LeaseRow[] };
  return result.rows;
}

async function insertRow(client: PgClientLike, mine: Mine, clock: Clock): Promise<void> {
  await client.query({
    text: `insert into ${TABLE} (name, holder, owner, token, host, pid, acquired_at, expires_ms) values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    values: [
      mine.name,
      mine.holder,
      mine.owner,
      mine.token,
      hostname(),
      process.pid,
      new Date(clock.now()).toISOString(),
      clock.now() + clock.ttlMs,
    ],
  });
}
