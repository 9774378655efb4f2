/**
 * A throw-away PostgreSQL database per test file (`fintech_test_<random>`), so parallel vitest workers never
 * share tables. In CI (CI=true) an unreachable server is a failure; on a dev machine the tests are skipped.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_ADMIN_URL =
  process.env['FINTECH_TEST_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Undefined when tests may run; else the reason they are skipped. Throws in CI when the server is down. */
export async function postgresSkipReason(): Promise<string | undefined> {
  if (await reachable()) return undefined;
  const message = `PostgreSQL is not reachable at ${POSTGRES_ADMIN_URL.replace(/\/\/.*@/, '//')}`;
  if (process.env['CI'] === 'true') throw new Error(`${message}: the PostgreSQL tests must run in CI`);
  console.warn(`skipping PostgreSQL tests: ${message}`);
  return message;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `fintech_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
