/**
 * `FINTECH_ETL_SQL_PROFILE=1` prints every warehouse statement's wall time and its first 160 characters on stderr
 * (commits included: on DuckDB a large transaction's commit can cost as much as its statements), so a slow model
 * or load shows which statement is slow. Off, the session is returned as it is. Statements go through
 * `redact()` first: a COPY may name credentials.
 *
 * @example
 *   const session = timedSession(engineSession);
 *   await session.execute('commit'); // stderr: "sql   0.312 s  commit"
 */
import { redact } from '../core/redact.ts';
import type { SqlSession } from './warehouse.ts';

const SHOWN_CHARACTERS = 160;

export function timedSession(
  session: SqlSession,
  env: NodeJS.ProcessEnv = process.env,
  write: (line: string) => void = (line) => process.stderr.write(line),
): SqlSession {
  if (!env['FINTECH_ETL_SQL_PROFILE']) return session;
  const timed = async <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await run();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const text = redact(sql.replace(/\s+/g, ' ').trim()).slice(0, SHOWN_CHARACTERS);
      write(`sql ${seconds.toFixed(3).padStart(7)} s  ${text}\n`);
    }
  };
  return {
    execute: (sql) => timed(sql, () => session.execute(sql)),
    query: (sql) => timed(sql, () => session.query(sql)),
  };
}
