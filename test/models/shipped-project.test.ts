import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../src/models/project/load-project.ts';
import { runModels } from '../../src/models/run/run-models.ts';
import { testModels } from '../../src/models/testing/test-models.ts';
import { DuckDBWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.ts';

describe('the shipped pipeline/ project', () => {
  it('loads the seeds (MCC codes kept as text) and builds dim_date with Korean public holidays', async () => {
    const project = loadProject(join(import.meta.dirname, '..', '..', 'pipeline'));
    const warehouse = await DuckDBWarehouse.open(join(mkdtempSync(join(tmpdir(), 'shipped-')), 'w.duckdb'));
    try {
      const result = await runModels({ warehouse, project, select: 'dim_date' });
      expect(result.ok).toBe(true);
      const seed = result.seeds.find((s) => s.name === 'mcc_codes')!;
      expect(seed.rows).toBeGreaterThan(900);
      const { rows } = await warehouse.query(
        `select mcc, merchant_category from staging.mcc_codes where mcc = '0742'`,
      );
      expect(rows).toEqual([{ mcc: '0742', merchant_category: 'services' }]);
      const holidays = await warehouse.query(
        `select date_day, day_name, is_weekend, is_holiday, holiday_name from core.dim_date
         where date_day between '2025-01-27' and '2025-01-30' order by date_day`,
      );
      expect(holidays.rows).toEqual([
        {
          date_day: '2025-01-27',
          day_name: 'Monday',
          is_weekend: false,
          is_holiday: false,
          holiday_name: null,
        },
        {
          date_day: '2025-01-28',
          day_name: 'Tuesday',
          is_weekend: false,
          is_holiday: true,
          holiday_name: 'Korean New Year (eve)',
        },
        {
          date_day: '2025-01-29',
          day_name: 'Wednesday',
          is_weekend: false,
          is_holiday: true,
          holiday_name: 'Korean New Year',
        },
        {
          date_day: '2025-01-30',
          day_name: 'Thursday',
          is_weekend: false,
          is_holiday: true,
          holiday_name: 'Korean New Year (day after)',
        },
      ]);
      const tests = await testModels({ warehouse, project, select: 'dim_date' });
      expect(tests.ok).toBe(true);
    } finally {
      await warehouse.close();
    }
  });
});
