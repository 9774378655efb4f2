import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../src/models/project/load-project.ts';
import { runModels } from '../../src/models/run/run-models.ts';
import { testModels } from '../../src/models/testing/test-models.ts';
import { DuckDBWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.ts';

describe('the shipped pipeline/ project', () => {
  it('loads the MCC seed into staging.mcc_codes with codes kept as text, and its tests pass', async () => {
    const project = loadProject(join(import.meta.dirname, '..', '..', 'pipeline'));
    const warehouse = await DuckDBWarehouse.open(join(mkdtempSync(join(tmpdir(), 'shipped-')), 'w.duckdb'));
    try {
      const result = await runModels({ warehouse, project });
      expect(result.ok).toBe(true);
      const seed = result.seeds.find((s) => s.name === 'mcc_codes')!;
      expect(seed.rows).toBeGreaterThan(900);
      const { rows } = await warehouse.query(
        `select mcc, merchant_category from staging.mcc_codes where mcc = '0742'`,
      );
      expect(rows).toEqual([{ mcc: '0742', merchant_category: 'services' }]);
      const tests = await testModels({ warehouse, project });
      expect(tests.ok).toBe(true);
    } finally {
      await warehouse.close();
    }
  });
});
