/**
 * Reports every warehouse statement (commits included: on DuckDB a large transaction's commit can cost as much
 * as its statements) as a `statement-timed` event with its wall seconds and its first 160 characters, so a slow
 * model or load shows which statement is slow. Statements go through `redact()` first: a COPY may name
 * credentials. With the no-op sink the session is returned as it is.
 *
 * @example
 *   const session = timedSession(engineSession, events, 'duckdb');
 *   await session.execute('commit'); // emits { kind: 'statement-timed', engine: 'duckdb', seconds: 0.312, sql: 'commit', ok: true }
 */
import { type EventSink, NO_EVENTS } from '../core/pipeline-event.ts';
import { redact } from '../core/redact.ts';
import { startStopwatch } from '../core/stopwatch.ts';
import type { SqlSession } from './warehouse.ts';

const SHOWN_CHARACTERS = 160;

export function timedSession(session: SqlSession, events: EventSink, engine: string): SqlSession {
  if (events === NO_EVENTS) return session;
  const timed = async <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    const watch = startStopwatch();
    let ok = false;
    try {
      const result = await run();
      ok = true;
      return result;
    } finally {
      const text = redact(sql.replace(/\s+/g, ' ').trim()).slice(0, SHOWN_CHARACTERS);
      events.emit({ kind: 'statement-timed', engine, seconds: watch.read().seconds, sql: text, ok });
    }
  };
  return {
    execute: (sql) => timed(sql, () => session.execute(sql)),
    query: (sql) => timed(sql, () => session.query(sql)),
  };
}
