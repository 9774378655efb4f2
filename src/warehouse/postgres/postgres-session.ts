/**
 * Statements on one pooled client: every statement timed through the event sink, every error one redacted line
 * naming the warehouse and the statement's start; and the read-only guard of `queryReadOnly` (read-only-query.ts).
 */
import { PipelineError } from '../../core/errors.ts';
import type { EventSink } from '../../core/pipeline-event.ts';
import { redact } from '../../core/redact.ts';
import { statementSignal } from '../statement-signal.ts';
import { timedSession } from '../timed-session.ts';
import { type QueryResult, ReadOnlyViolation, type SqlSession } from '../warehouse.ts';
import { type PgClientLike, toQueryResult } from './connection-pool.ts';
import { runPlainReadOnlyQuery, runReadOnlyQuery } from './read-only-query.ts';

/** Who runs the statements, for events and error messages. */
export interface SessionOwner {
  engine: string;
  description: string;
  events: EventSink;
}

/** A PostgreSQL error as one redacted line (`<warehouse>: <message> (in: <statement start>)`), code kept. */
export function wrapPostgresError(owner: SessionOwner, error: unknown, sql: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  const wrapped = new PipelineError(redact(`${owner.description}: ${message} (in: ${sql.slice(0, 200)})`));
  (wrapped as Error & { code?: unknown }).code = (error as { code?: unknown }).code;
  return wrapped;
}

/**
 * Statements on `client` as a {@link SqlSession}: timed through the owner's events, errors wrapped. None starts
 * once the calling work's signal aborted (statement-signal.ts): the operation fails with its reason.
 */
export function postgresSession(owner: SessionOwner, client: PgClientLike): SqlSession {
  return timedSession(
    {
      execute: async (sql) => {
        statementSignal()?.throwIfAborted();
        try {
          await client.query(sql);
        } catch (error) {
          throw wrapPostgresError(owner, error, sql);
        }
      },
      query: async (sql) => {
        statementSignal()?.throwIfAborted();
        try {
          return toQueryResult(await client.query(sql));
        } catch (error) {
          throw wrapPostgresError(owner, error, sql);
        }
      },
    },
    owner.events,
    owner.engine,
  );
}

/**
 * A read-only transaction and the extended protocol (one statement only) make writes impossible; on an engine
 * with server file functions, a user that may call them has its query run without that right.
 */
export async function queryReadOnly(
  owner: SessionOwner,
  client: PgClientLike,
  sql: string,
  guardServerFiles: boolean,
): Promise<QueryResult> {
  try {
    return guardServerFiles ? await runReadOnlyQuery(client, sql) : await runPlainReadOnlyQuery(client, sql);
  } catch (error) {
    if (error instanceof ReadOnlyViolation) throw error;
    throw wrapPostgresError(owner, error, sql);
  }
}
