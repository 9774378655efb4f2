/**
 * The writer lock of a PostgreSQL warehouse: a session-level advisory lock held on a connection of its own for
 * as long as the run writes. PostgreSQL releases it when that connection ends, so a killed writer frees it at
 * once and no lease can go stale. Advisory locks belong to one database: two homes sharing a warehouse
 * database exclude each other; warehouses in other databases do not.
 *
 * The holder writes who it is into `audit.writer_lock` right after taking the lock; a process that finds the
 * lock taken reads the holding backend from `pg_locks` and names the holder from that row (or, if the row is
 * not there yet, from the backend's address and start time).
 *
 * Tasks of the holder's run on queue workers join the lock (`joinAdvisoryWriterLock`): each holds a shared
 * advisory lock on a second key (writes in flight) for its own duration, after checking that the lock is granted
 * to the backend of the row whose `owner` is theirs. A new holder takes that second key exclusively once before
 * it writes: it waits out the writes of a previous holder's tasks still running after their driver died.
 */
import type pg from 'pg';
import { redact } from '../../core/redact.ts';
import {
  type JoinWriterLockOptions,
  WarehouseLockedError,
  type WarehouseWriterLock,
  type WriterLockOptions,
} from '../warehouse.ts';
import { type ConnectionInfo, singleClient } from './connection-pool.ts';

/** The two int4 keys of `pg_try_advisory_lock(key1, key2)`: 'fint' and 1, arbitrary but fixed. */
const LOCK_KEYS = [0x66696e74, 1] as const;
/** Writes in flight of joined tasks: shared by each, taken exclusively (and let go) by a new holder. */
const WRITES_KEYS = [0x66696e74, 2] as const;
/** PostgreSQL keeps the first 63 bytes of an application_name. */
const APPLICATION_NAME_BYTES = 63;
const HOLDER_TABLE = 'audit.writer_lock';
/** pg_locks lists the locks of every database of the server; advisory keys are per database. */
const THIS_DATABASE = 'l.database = (select oid from pg_database where datname = current_database())';

export async function acquireAdvisoryWriterLock(
  connection: ConnectionInfo,
  password: string | undefined,
  options: WriterLockOptions,
): Promise<WarehouseWriterLock> {
  const client = singleClient(connection, password, 'fintech-etl writer lock', { keepAlive: true });
  const lost = new AbortController();
  let releasing = false;
  const onLost = (reason: string) => {
    if (!releasing && !lost.signal.aborted) {
      lost.abort(new Error(`the warehouse's writer lock was lost: ${redact(reason)}`));
    }
  };
  client.on('error', (error) => onLost(error.message));
  client.on('end', () => onLost('its connection closed'));
  await client.connect();
  try {
    const deadline = Date.now() + options.waitSeconds * 1000;
    for (;;) {
      const { rows } = await client.query<{ locked: boolean }>(
        'select pg_try_advisory_lock($1, $2) as locked',
        [...LOCK_KEYS],
      );
      if (rows[0]?.locked) break;
      if (Date.now() >= deadline) {
        const waited =
          options.waitSeconds > 0
            ? `; waited ${options.waitSeconds} s`
            : '; use --wait SECONDS to wait for it';
        throw new WarehouseLockedError(
          `another fintech-etl process is writing this warehouse (${connection.host}:${connection.port}/${connection.database}): ${await describeHolder(client)}${waited}`,
        );
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(options.pollMs ?? 1000, deadline - Date.now())),
      );
    }
    await recordHolder(client, options.holder, options.owner);
    await waitForJoinedWrites(client, connection, deadline, options);
  } catch (error) {
    releasing = true;
    await client.end().catch(() => undefined);
    throw error;
  }
  return {
    lost: lost.signal,
    release: async () => {
      releasing = true;
      // Ending the session releases the lock; the unlock first makes it free before the socket closes.
      await client.query('select pg_advisory_unlock($1, $2)', [...LOCK_KEYS]).catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

/**
 * A task of the holder's run, on another process: holds the writes-in-flight key (shared) until `release`, after
 * checking the writer lock is held under `owner`; else WarehouseLockedError naming who holds it.
 */
export async function joinAdvisoryWriterLock(
  connection: ConnectionInfo,
  password: string | undefined,
  options: JoinWriterLockOptions,
): Promise<WarehouseWriterLock> {
  // What a new holder waiting for these writes names (pg_stat_activity).
  const client = singleClient(
    connection,
    password,
    truncateBytes(`fintech-etl ${options.joiner}`, APPLICATION_NAME_BYTES),
    { keepAlive: true },
  );
  const lost = new AbortController();
  let releasing = false;
  const onLost = (reason: string) => {
    if (!releasing && !lost.signal.aborted) {
      lost.abort(new Error(`the warehouse's writer lock could no longer be vouched for: ${redact(reason)}`));
    }
  };
  client.on('error', (error) => onLost(error.message));
  client.on('end', () => onLost('its connection closed'));
  await client.connect();
  try {
    // Waits only while a new holder takes it for an instant (waitForJoinedWrites).
    await client.query('select pg_advisory_lock_shared($1, $2)', [...WRITES_KEYS]);
    const { rows } = await client
      .query<{ owner: string | null }>(
        `select w.owner
           from pg_locks l join ${HOLDER_TABLE} w on w.backend_pid = l.pid
          where ${THIS_DATABASE} and l.locktype = 'advisory'
            and l.classid = $1 and l.objid = $2 and l.objsubid = 2 and l.granted`,
        [...LOCK_KEYS],
      )
      .catch((error: { code?: string }) => {
        // No holder has ever recorded itself here.
        if (error.code === '42P01') return { rows: [] };
        throw error;
      });
    if (rows[0]?.owner !== options.owner) {
      const held = rows.length ? await describeHolder(client) : 'nobody holds it';
      throw new WarehouseLockedError(
        `${options.joiner} writes the warehouse (${connection.host}:${connection.port}/${connection.database}) ` +
          `only while the process driving its run holds the warehouse's writer lock, and ${held.startsWith('nobody') ? held : `${held} holds it`}`,
      );
    }
  } catch (error) {
    releasing = true;
    await client.end().catch(() => undefined);
    throw error;
  }
  return {
    lost: lost.signal,
    release: async () => {
      releasing = true;
      await client.query('select pg_advisory_unlock_shared($1, $2)', [...WRITES_KEYS]).catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

/**
 * A new holder waits until no joined task of a previous holder's run is still writing: such a task outlives its
 * driver (killed) by as long as its try runs, and writes for a run that no longer holds the lock.
 */
async function waitForJoinedWrites(
  client: pg.Client,
  connection: ConnectionInfo,
  deadline: number,
  options: WriterLockOptions,
): Promise<void> {
  for (;;) {
    const { rows } = await client.query<{ free: boolean }>('select pg_try_advisory_lock($1, $2) as free', [
      ...WRITES_KEYS,
    ]);
    if (rows[0]?.free) {
      await client.query('select pg_advisory_unlock($1, $2)', [...WRITES_KEYS]);
      return;
    }
    if (Date.now() >= deadline) {
      const { rows: writers } = await client.query<{ pid: number; name: string | null }>(
        `select l.pid, a.application_name as name
           from pg_locks l left join pg_stat_activity a on a.pid = l.pid
          where ${THIS_DATABASE} and l.locktype = 'advisory'
            and l.classid = $1 and l.objid = $2 and l.objsubid = 2 and l.granted and l.pid <> pg_backend_pid()
          order by l.pid`,
        [...WRITES_KEYS],
      );
      const names = writers.map((writer) => writer.name || `PostgreSQL backend ${writer.pid}`);
      const waited =
        options.waitSeconds > 0 ? `; waited ${options.waitSeconds} s` : '; use --wait SECONDS to wait for it';
      throw new WarehouseLockedError(
        `another fintech-etl process is writing this warehouse (${connection.host}:${connection.port}/${connection.database}): ` +
          `${names.join(', ') || 'a task that just ended'}, a task of a run whose driver no longer holds the warehouse${waited}`,
      );
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(options.pollMs ?? 1000, Math.max(0, deadline - Date.now()))),
    );
  }
}

async function recordHolder(client: pg.Client, holder: string, owner: string | undefined): Promise<void> {
  await client.query('create schema if not exists audit').catch(ignoreConcurrentCreate);
  await client
    .query(
      `create table if not exists ${HOLDER_TABLE} (backend_pid integer, holder varchar(2000), acquired_at timestamptz, owner varchar(200))`,
    )
    .catch(ignoreConcurrentCreate);
  // A lock table made before tasks could join the lock has no owner column (altered only then: an ALTER locks
  // the table against the readers naming the holder).
  const { rowCount } = await client.query(
    `select 1 from information_schema.columns
      where table_schema = 'audit' and table_name = 'writer_lock' and column_name = 'owner'`,
  );
  if (!rowCount)
    await client.query(`alter table ${HOLDER_TABLE} add column if not exists owner varchar(200)`);
  // Only the lock's holder writes here, so the row always names the current (or the last) holder.
  await client.query('begin');
  await client.query(`delete from ${HOLDER_TABLE}`);
  await client.query(
    `insert into ${HOLDER_TABLE} (backend_pid, holder, acquired_at, owner) values (pg_backend_pid(), $1, now(), $2)`,
    [holder, owner ?? null],
  );
  await client.query('commit');
}

function truncateBytes(text: string, bytes: number): string {
  let result = text;
  while (Buffer.byteLength(result) > bytes) result = result.slice(0, -1);
  return result;
}

/** Two sessions creating the same schema or table at once: the loser's duplicate error is harmless. */
export function ignoreConcurrentCreate(error: { code?: string }): void {
  if (error.code !== '23505' && error.code !== '42P06' && error.code !== '42P07') throw error;
}

async function describeHolder(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{
    pid: number;
    client_addr: string | null;
    backend_start: Date | null;
  }>(
    `select l.pid, a.client_addr::text as client_addr, a.backend_start
       from pg_locks l left join pg_stat_activity a on a.pid = l.pid
      where ${THIS_DATABASE} and l.locktype = 'advisory'
        and l.classid = $1 and l.objid = $2 and l.objsubid = 2 and l.granted`,
    [...LOCK_KEYS],
  );
  const backend = rows[0];
  if (!backend) return 'its holder just released it';
  const recorded = await client
    .query<{ holder: string; acquired_at: Date }>(
      `select holder, acquired_at from ${HOLDER_TABLE} where backend_pid = $1`,
      [backend.pid],
    )
    .then((result) => result.rows[0])
    .catch(() => undefined);
  if (recorded) return `${recorded.holder}, since ${recorded.acquired_at.toISOString()}`;
  const from = backend.client_addr ? ` from ${backend.client_addr}` : '';
  const since = backend.backend_start ? `, connected since ${backend.backend_start.toISOString()}` : '';
  return `PostgreSQL backend ${backend.pid}${from}${since}`;
}
