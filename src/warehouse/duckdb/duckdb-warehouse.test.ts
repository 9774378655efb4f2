import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config.ts';
import { openWarehouse } from '../open-warehouse.ts';
import { warehouseContract } from '../warehouse.contract.ts';
import { DuckDBWarehouse } from './duckdb-warehouse.ts';

warehouseContract('duckdb', async () => ({
  open: () => DuckDBWarehouse.open(join(mkdtempSync(join(tmpdir(), 'duckdb-contract-')), 'w.duckdb')),
  // A hash join whose probe side is a billion rows, each matching about 90 others.
  slowSelect: 'select count(*) as n from range(1000000000) a, range(1000) b where a.range % 7 = b.range % 11',
}));

describe('DuckDB warehouse settings', () => {
  const settingsOf = async (warehouse: DuckDBWarehouse) => {
    try {
      const { rows } = await warehouse.queryReadOnly(
        "select current_setting('memory_limit') as memory_limit, current_setting('threads') as threads, " +
          "current_setting('temp_directory') as temp_directory",
      );
      return rows[0];
    } finally {
      await warehouse.close();
    }
  };

  it('opens with the configured memory limit, threads and spill folder (config duckdb_warehouse)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'duckdb-settings-'));
    writeFileSync(
      join(home, 'fintech-etl.yaml'),
      'duckdb_warehouse:\n  memory_limit: 512MB\n  threads: 1\n  temp_directory: spill\n',
    );
    const warehouse = await openWarehouse(loadConfig({ home, cwd: home, env: {} }));
    expect(warehouse).toBeInstanceOf(DuckDBWarehouse);
    // DuckDB reports 512MB (10^6 bytes) in MiB.
    expect(await settingsOf(warehouse as DuckDBWarehouse)).toEqual({
      memory_limit: '488.2 MiB',
      threads: 1,
      temp_directory: join(home, 'spill'),
    });
  });

  it('is bounded to 1GB by default', async () => {
    const home = mkdtempSync(join(tmpdir(), 'duckdb-settings-'));
    const warehouse = await openWarehouse(loadConfig({ home, cwd: home, env: {} }));
    expect(await settingsOf(warehouse as DuckDBWarehouse)).toMatchObject({ memory_limit: '953.6 MiB' });
  });
});

describe('DuckDB delete+insert and merge', () => {
  it('a merge that fails half-way changes nothing and leaves no batch table behind', async () => {
    const warehouse = await DuckDBWarehouse.open(':memory:');
    try {
      await warehouse.execute('create schema s');
      await warehouse.execute('create table s.t (id integer, name varchar not null)');
      await warehouse.execute("insert into s.t values (1, 'a'), (2, 'b')");
      const target = { schema: 's', name: 't' };
      // The delete of id 1 succeeds; the insert of its null name fails the transaction.
      const failing = `select 1 as id, cast(null as varchar) as name union all select 3, 'c'`;
      await expect(warehouse.merge(target, failing, ['id'])).rejects.toThrow(/NOT NULL/i);
      const { rows } = await warehouse.query('select id, name from s.t order by id');
      expect(rows).toEqual([
        { id: 1, name: 'a' },
        { id: 2, name: 'b' },
      ]);
      const leftovers = await warehouse.query(
        "select count(*) as n from duckdb_tables() where temporary and table_name like 'fintech_batch_%'",
      );
      expect(leftovers.rows).toEqual([{ n: 0 }]);
      await warehouse.merge(target, `select 1 as id, 'A' as name union all select 3, 'c'`, ['id']);
      expect((await warehouse.query('select id, name from s.t order by id')).rows).toEqual([
        { id: 1, name: 'A' },
        { id: 2, name: 'b' },
        { id: 3, name: 'c' },
      ]);
    } finally {
      await warehouse.close();
    }
  });
});
