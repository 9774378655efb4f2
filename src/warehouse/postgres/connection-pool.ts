/**
 * Where a PostgreSQL (or Redshift) warehouse connects, and the `pg` pool it connects with: one connection per
 * concurrently running model, sessions in UTC, errors that name host, port and database but never a password.
 */
import pg from 'pg';
import { PipelineError } from '../../core/errors.ts';
import type { EventSink } from '../../core/pipeline-event.ts';
import { redact } from '../../core/redact.ts';
import type { QueryResult, WarehouseRow } from '../warehouse.ts';
import { postgresTypes } from './postgres-types.ts';

/** Where a warehouse connection goes, without the password (safe to print). */
export interface ConnectionInfo {
  host: string;
  port: number;
  database: string;
  user: string;
}

/** The part of a `pg.Pool` the warehouse uses; tests inject a recording fake (Redshift). */
export interface PgPoolLike {
  connect(): Promise<PgClientLike>;
  end(): Promise<void>;
}

export interface PgClientLike {
  query(config: string | { text: string; values?: unknown[]; queryMode?: 'extended' }): Promise<unknown>;
  /** `true`: the connection is closed instead of going back to the pool. */
  release(destroy?: boolean): void;
  /** The backend's process id (what `pg_cancel_backend` takes); fakes have none. */
  readonly processID?: number | null;
}

export interface OpenPostgresOptions {
  password?: string;
  /** Pool size: how many models may run at once. */
  maxConnections?: number;
  /** Where statements and load phases are reported (default: nowhere). */
  events?: EventSink;
}

/** Parses `postgres://user[:password]@host[:port]/database` (also `redshift://`). */
export function parseConnectionUrl(url: string, defaultPort: number): ConnectionInfo & { password?: string } {
  const parsed = new URL(url.replace(/^[a-z]+:\/\//, 'postgres://'));
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : defaultPort,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres',
    user: decodeURIComponent(parsed.username) || 'postgres',
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}

/** Creates a pool whose sessions run in UTC; connection errors name host, port and database only. */
/**
 * A single connection outside the pool, named in pg_stat_activity by `applicationName`: what the writer lock holds
 * for its whole life and what cancels a statement, neither of which may wait for a pooled connection.
 */
export function singleClient(
  connection: ConnectionInfo,
  password: string | undefined,
  applicationName: string,
  options: { keepAlive?: boolean } = {},
): pg.Client {
  return new pg.Client({
    host: connection.host,
    port: connection.port,
    database: connection.database,
    user: connection.user,
    password,
    application_name: applicationName,
    ...(options.keepAlive ? { keepAlive: true } : {}),
    connectionTimeoutMillis: 10_000,
  });
}

export async function connectPool(
  connection: ConnectionInfo,
  password: string | undefined,
  maxConnections = 4,
  engine: string,
): Promise<PgPoolLike> {
  const pool = new pg.Pool({
    host: connection.host,
    port: connection.port,
    database: connection.database,
    user: connection.user,
    password,
    max: maxConnections,
    types: postgresTypes,
    options: '-c TimeZone=UTC',
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection must not crash the process; the next query reports the failure.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    const reason = redact((error as Error).message.split('\n')[0] ?? 'unknown error');
    throw new PipelineError(
      `cannot connect to ${engine} warehouse at host ${connection.host}, port ${connection.port}, database ${connection.database}: ${reason}`,
    );
  }
  return pool as unknown as PgPoolLike;
}

export async function serverVersion(
  pool: PgPoolLike,
  connection: ConnectionInfo,
  engine: string,
): Promise<number> {
  const client = await pool.connect();
  try {
    const result = toQueryResult(await client.query(`select current_setting('server_version_num') as v`));
    return Number(result.rows[0]?.['v'] ?? 0);
  } catch {
    throw new PipelineError(
      `${engine} at ${connection.host}:${connection.port}/${connection.database} did not answer`,
    );
  } finally {
    client.release();
  }
}

/** pg returns one result per statement for a multi-statement string; the last one is what a caller wants. */
export function toQueryResult(raw: unknown): QueryResult {
  const result = (Array.isArray(raw) ? raw.at(-1) : raw) as
    | { rows?: WarehouseRow[]; fields?: { name: string }[] }
    | undefined;
  return { columns: (result?.fields ?? []).map((field) => field.name), rows: result?.rows ?? [] };
}
