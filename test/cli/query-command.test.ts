import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'fintech-etl');
const home = mkdtempSync(join(tmpdir(), 'query-cli-'));
const cli = (...args: string[]) => spawnSync(BIN, ['--home', home, ...args], { encoding: 'utf8' });

describe('fintech-etl query', () => {
  beforeAll(async () => {
    const warehouse = await DuckDBWarehouse.open(join(home, 'warehouse.duckdb'));
    await warehouse.createTableAs(
      { schema: 'marts', name: 'm' },
      `select 'c1' as customer_id, cast(1234.5 as decimal(18,2)) as amount, date '2024-01-31' as day, 'a,"b"' as note
       union all select 'c2', cast(0.1 as decimal(18,2)), null, null`,
    );
    await warehouse.close();
  });

  it('prints one JSON array with exact decimals and ISO dates', () => {
    const result = cli('query', 'select * from marts.m order by customer_id', '--format', 'json');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      { customer_id: 'c1', amount: '1234.50', day: '2024-01-31', note: 'a,"b"' },
      { customer_id: 'c2', amount: '0.10', day: null, note: null },
    ]);
  });

  it('prints CSV: a header then rows, quoting where needed', () => {
    const result = cli('query', 'select * from marts.m order by customer_id', '--format', 'csv');
    expect(result.stdout).toBe('customer_id,amount,day,note\nc1,1234.50,2024-01-31,"a,""b"""\nc2,0.10,,\n');
  });

  it('refuses a write statement with exit 2 and leaves the data alone', () => {
    for (const sql of ['delete from marts.m', 'drop table marts.m', 'select 1; delete from marts.m']) {
      const result = cli('query', sql);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/query refused: .*read-only/);
    }
    expect(JSON.parse(cli('query', 'select count(*) as n from marts.m', '--format', 'json').stdout)).toEqual([
      { n: 2 },
    ]);
  });
});
