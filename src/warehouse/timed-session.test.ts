import { describe, expect, it } from 'vitest';
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
  it('is the session itself unless FINTECH_ETL_SQL_PROFILE is set', () => {
    expect(timedSession(inner, {})).toBe(inner);
  });

  it('prints each statement once with its seconds, whitespace folded and secrets redacted, also when it fails', async () => {
    const lines: string[] = [];
    const session = timedSession(inner, { FINTECH_ETL_SQL_PROFILE: '1' }, (line) => lines.push(line));
    await session.execute('create table t as\n    select 1 from postgres://etl:hunter2@db/x');
    expect(await session.query('select 1 as n')).toEqual({ columns: ['n'], rows: [{ n: 1 }] });
    await expect(session.query('select boom')).rejects.toThrow('boom');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^sql +\d+\.\d{3} s {2}create table t as select 1 from postgres:\/\/etl:\*\*\*@db\/x\n$/,
    );
    expect(lines[1]).toMatch(/ s {2}select 1 as n\n$/);
    expect(lines[2]).toMatch(/ s {2}select boom\n$/);
    expect(lines.join('')).not.toContain('hunter2');
  });
});
