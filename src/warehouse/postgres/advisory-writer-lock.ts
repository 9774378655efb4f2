/**
 * The writer lock of a PostgreSQL warehouse: a session-level advisory lock held on a connection of its own for
 * as long as the run writes. PostgreSQL releases it when that connection ends, so a killed writer frees it at
 * once and no lease can go stale. Advisory locks belong to one database: two homes sharing a warehouse
 * database exclude each other; warehouses in other databases do not.
 *
 * The holder writes who it is into `audit.writer_lock` right after taking the lock; a process that finds the
 * lock taken reads the holding backend from `pg_locks` and names the holder from that row (or, if the row is
 * not there yet, from the backend's address and start time).
 */
import pg from 'pg';
import { redact } from '../../core/redact.ts';
import { WarehouseLockedError, type WarehouseWriterLock, type WriterLockOptions } from '../warehouse.ts';
import type { ConnectionInfo } from './connection-pool.ts';

/** The two int4 keys of `pg_try_advisory_lock(key1, key2)`: 'fint' and 1, arbitrary but fixed. */
const LOCK_KEYS = [0x66696e74, 1] as const;
const HOLDER_TABLE = 'audit.writer_lock';

export async function acquireAdvisoryWriterLock(
  connection: ConnectionInfo,
  password: string | undefined,
  options: WriterLockOptions,
): Promise<WarehouseWriterLock> {
  const client = new pg.Client({
    host: connection.host,
    port: connection.port,
    database: connection.database,
    user: connection.user,
    password,
    application_name: 'fintech-etl writer lock',
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
  });
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
    await recordHolder(client, options.holder);
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

async function recordHolder(client: pg.Client, holder: string): Promise<void> {
  await client.query('create schema if not exists audit').catch(ignoreConcurrentCreate);
  await client
    .query(
      `create table if not exists ${HOLDER_TABLE} (backend_pid integer, holder varchar(2000), acquired_at timestamptz)`,
    )
    .catch(ignoreConcurrentCreate);
  // Only the lock's holder writes here, so the row always names the current (or the last) holder.
  await client.query('begin');
  await client.query(`delete from ${HOLDER_TABLE}`);
  await client.query(`insert into ${HOLDER_TABLE} values (pg_backend_pid(), $1, now())`, [holder]);
  await client.query('commit');
}

/** Two sessions creating the same schema or table at once: the loser's duplicate error is harmless. */
function ignoreConcurrentCreate(error: { code?: string }): void {
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
      where l.locktype = 'advisory' and l.classid = $1 and l.objid = $2 and l.objsubid = 2 and l.granted`,
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
