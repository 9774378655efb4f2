import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, postgresSkipReason } from '../../../test/helpers/postgres-test-database.ts';
import { warehouseContract } from '../warehouse.contract.ts';
import { PostgresWarehouse } from './postgres-warehouse.ts';

warehouseContract('postgres', async () => {
  if (await postgresSkipReason()) return undefined;
  const database = await createTestDatabase();
  return {
    open: () => PostgresWarehouse.open(database.url),
    cleanup: database.drop,
    slowSelect: 'select 1 as n from pg_sleep(600)',
  };
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

describe('PostgresWarehouse dead rows', async () => {
  const skip = await postgresSkipReason();

  it.skipIf(skip)(
    'vacuums a table after delete+insert and merge when autovacuum is off for it, and not when it is on',
    async () => {
      const database = await createTestDatabase();
      const warehouse = await PostgresWarehouse.open(database.url);
      try {
        const serverAutovacuum = (await warehouse.query('show autovacuum')).rows[0]!['autovacuum'];
        await warehouse.execute('create schema marts');
        for (const [name, enabled] of [
          ['off_table', false],
          ['on_table', true],
        ] as const) {
          await warehouse.execute(
            `create table marts.${name} with (autovacuum_enabled = ${enabled}) as select g as id, 'v1' as version from generate_series(1, 1000) g`,
          );
          const T = { schema: 'marts', name };
          await warehouse.deleteInsert(T, `select g as id, 'v2' as version from generate_series(1, 500) g`, [
            'id',
          ]);
          await warehouse.merge(T, `select g as id, 'v3' as version from generate_series(400, 600) g`, [
            'id',
          ]);
        }
        const stats = async (name: string) =>
          (
            await warehouse.query(
              `select vacuum_count from pg_stat_user_tables where schemaname = 'marts' and relname = '${name}'`,
            )
          ).rows[0];
        // the dead rows of the delete+insert (500) and of the merge (201) were each vacuumed away at once
        expect(await stats('off_table')).toEqual({ vacuum_count: 2 });
        expect(await stats('on_table')).toEqual({ vacuum_count: serverAutovacuum === 'on' ? 0 : 2 });
        expect(
          (await warehouse.query('select version, count(*) as n from marts.off_table group by 1 order by 1'))
            .rows,
        ).toEqual([
          { version: 'v1', n: 400 },
          { version: 'v2', n: 399 },
          { version: 'v3', n: 201 },
        ]);
      } finally {
        await warehouse.close();
        await database.drop();
      }
    },
  );
});

describe('PostgresWarehouse under an aborted signal', async () => {
  const skip = await postgresSkipReason();

  /** Polls `count` until it returns `expected` (or a generous deadline passes) and returns the last count. */
  const settle = async (count: () => Promise<number>, expected: number) => {
    const deadline = Date.now() + 30_000;
    let last = await count();
    while (last !== expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      last = await count();
    }
    return last;
  };

  it.skipIf(skip)('cancels the statement on the server, not only the wait for it', async () => {
    const database = await createTestDatabase();
    const warehouse = await PostgresWarehouse.open(database.url);
    try {
      const sleeping = async () =>
        Number(
          (
            await warehouse.query(
              `select count(*) as n from pg_stat_activity where datname = current_database() and state = 'active' and query like 'select pg_sleep(600)%'`,
            )
          ).rows[0]!['n'],
        );
      const controller = new AbortController();
      const reason = new Error('task load timed out after 1 s');
      const work = warehouse.withSignal(controller.signal).query('select pg_sleep(600) as slept');
      expect(await settle(sleeping, 1)).toBe(1);
      controller.abort(reason);
      await expect(work).rejects.toBe(reason);
      expect(await settle(sleeping, 0)).toBe(0);
    } finally {
      await warehouse.close();
      await database.drop();
    }
  });

  it.skipIf(skip)('a load aborted after its new table was created replaces nothing', async () => {
    const database = await createTestDatabase();
    const controller = new AbortController();
    const reason = new Error('task load was abandoned: the process was asked to stop');
    const warehouse = await PostgresWarehouse.open(database.url, {
      events: {
        emit: (event) => {
          if (event.kind === 'statement-timed' && /^create .*__fintech_new/.test(event.sql))
            controller.abort(reason);
        },
      },
    });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'pg-aborted-load-'));
      writeFileSync(join(dir, 'a.json'), JSON.stringify({ run_id: 'r1', bronze_rows: 10 }));
      const target = { schema: 'audit', name: 'ledger' };
      await warehouse.loadFiles({ files: [`${dir}/a.json`], format: 'json', target });
      writeFileSync(join(dir, 'b.json'), JSON.stringify({ run_id: 'r2', bronze_rows: 7 }));
      const bound = warehouse.withSignal(controller.signal);
      await expect(
        bound.loadFiles({ files: [`${dir}/a.json`, `${dir}/b.json`], format: 'json', target }),
      ).rejects.toBe(reason);
      const { rows } = await warehouse.query('select run_id, bronze_rows from audit.ledger order by run_id');
      expect(rows).toEqual([{ run_id: 'r1', bronze_rows: 10 }]);
    } finally {
      await warehouse.close();
      await database.drop();
    }
  });
});
