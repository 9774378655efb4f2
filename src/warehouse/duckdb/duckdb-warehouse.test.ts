import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { warehouseContract } from '../warehouse.contract.ts';
import { DuckDBWarehouse } from './duckdb-warehouse.ts';

warehouseContract('duckdb', async () => ({
  open: () => DuckDBWarehouse.open(join(mkdtempSync(join(tmpdir(), 'duckdb-contract-')), 'w.duckdb')),
}));
