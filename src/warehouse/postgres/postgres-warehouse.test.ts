import { describe, expect, it } from 'vitest';
import { createTestDatabase, postgresSkipReason } from '../../../test/helpers/postgres-test-database.ts';
import { warehouseContract } from '../warehouse.contract.ts';
import { PostgresWarehouse } from './postgres-warehouse.ts';

warehouseContract('postgres', async () => {
  if (await postgresSkipReason()) return undefined;
  const database = await createTestDatabase();
  return { open: () => PostgresWarehouse.open(database.url), cleanup: database.drop };
});

describe('PostgresWarehouse.open', () => {
  it('fails with one line naming host, port and database, never the password', async () => {
    const error = await PostgresWarehouse.open('postgres://etl:s3cret-pw@127.0.0.1:1/ledgerdb').catch(
      (e) => e,
    );
    expect(error.message).toMatch(
      /cannot connect to postgres warehouse at host 127\.0\.0\.1, port 1, database ledgerdb/,
    );
    expect(error.message).not.toContain('s3cret-pw');
    expect(error.message).not.toContain('\n');
  });
});

describe('openWarehouse for postgres://', () => {
  it('takes the password from the warehouse_password secret and keeps it out of errors', async () => {
    const { openWarehouse } = await import('../open-warehouse.ts');
    const error = await openWarehouse(
      {
        warehouseTarget: { kind: 'postgres', url: 'postgres://etl@127.0.0.1:1/dw' },
        warehouse_password: { env: 'WH_PASSWORD' },
        home: '/nonexistent',
        models: { concurrency: 2 },
      },
      { env: { WH_PASSWORD: 'very-secret-pw' } },
    ).then(
      () => new Error('connected unexpectedly'),
      (e: Error) => e,
    );
    expect(error.message).toMatch(
      /^cannot connect to postgres warehouse at host 127\.0\.0\.1, port 1, database dw: /,
    );
    expect(error.message).not.toContain('very-secret-pw');
  });
});
