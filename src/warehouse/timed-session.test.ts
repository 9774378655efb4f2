import { describe, expect, it } from 'vitest';
import { collectEvents, NO_EVENTS } from '../core/pipeline-event.ts';
import { timedSession } from './timed-session.ts';
import type { SqlSession } from './warehouse.ts';

const inner: SqlSession = {
  execute: async () => undefined,
  query: async (sql) => {
    if (sql.includes('boom')) throw new Error('boom');
    return { columns: ['n'], rows: [{ n: 1 }] };
  },
};

describe('timedSession', () => {
  it('is the session itself when nothing listens', () => {
    expect(timedSession(inner, NO_EVENTS, 'duckdb')).toBe(inner);
  });

  it('reports each statement once with its seconds, whitespace folded and secrets redacted, also when it fails', async () => {
    const sink = collectEvents();
    const session = timedSession(inner, sink, 'duckdb');
    await session.execute('create table t as\n    select 1 from postgres://etl:hunter2@db/x');
    expect(await session.query('select 1 as n')).toEqual({ columns: ['n'], rows: [{ n: 1 }] });
    await expect(session.query('select boom')).rejects.toThrow('boom');
    expect(sink.events).toEqual([
      {
        kind: 'statement-timed',
        engine: 'duckdb',
        seconds: expect.any(Number),
        sql: 'create table t as select 1 from postgres://etl:***@db/x',
        ok: true,
      },
      {
        kind: 'statement-timed',
        engine: 'duckdb',
        seconds: expect.any(Number),
        sql: 'select 1 as n',
        ok: true,
      },
      {
        kind: 'statement-timed',
        engine: 'duckdb',
        seconds: expect.any(Number),
        sql: 'select boom',
        ok: false,
      },
    ]);
    expect(JSON.stringify(sink.events)).not.toContain('hunter2');
  });
});
