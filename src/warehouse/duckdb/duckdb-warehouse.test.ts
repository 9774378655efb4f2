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
