import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/core/dates.ts';
import { DuckDBWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.ts';
import { writeHandbuiltDay } from '../helpers/handbuilt-bronze.ts';
import { createPipelineHarness, END_TO_END_SETUP_MS, expectRunOk } from '../helpers/pipeline-harness.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const home = mkdtempSync(join(tmpdir(), 'models-cli-'));
const cli = (...args: string[]) =>
  spawnSync(join(ROOT, 'bin', 'fintech-etl'), ['--home', home, ...args], { encoding: 'utf8' });

describe('fintech-etl models', () => {
  beforeAll(async () => {
    writeFileSync(
      join(home, 'fintech-etl.yaml'),
      `models:\n  project: ${join(ROOT, 'test', 'fixtures', 'model-project')}\n  concurrency: 2\n`,
    );
    const warehouse = await DuckDBWarehouse.open(join(home, 'warehouse.duckdb'));
    await warehouse.createTableAs(
      { schema: 'staging', name: 'raw_payments' },
      `select 1 as payment_id, 'c1' as customer_id, date '2024-01-01' as event_date, 3.5 as amount,
         'reversed' as status, timestamp '2024-01-01 10:00:00' as updated_at`,
    );
    await warehouse.close();
  });

  it('runs models, then exits 1 when an error-severity test fails, and writes lineage', () => {
    const run = cli('models', 'run', '--vars', 'logical_date=2024-01-01', '--select', '+fct_payments');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/OK {3}core\.fct_payments +incremental/);
    expect(run.stdout).toContain('2 of 2 models built');

    const test = cli('models', 'test', '--select', 'fct_payments');
    expect(test.status).toBe(1);
    expect(test.stdout).toMatch(/FAIL +not_null_fct_payments_status_label {2}1 failing rows/);
    expect(test.stderr).toContain('error-severity test(s) failed; see audit.test_failures');

    const docs = cli('models', 'docs', '--out', join(home, 'lineage.json'));
    expect(docs.status).toBe(0);
    expect(docs.stdout).toContain('model.fct_payments  (model, incremental)  core.fct_payments');
    const lineage = JSON.parse(readFileSync(join(home, 'lineage.json'), 'utf8'));
    expect(lineage.nodes.map((n: { id: string }) => n.id)).toContain('seed.status_labels');
  });
});

describe('fintech-etl models run without --vars logical_date (the shipped project)', () => {
  it(
    'builds the marts as of the latest succeeded daily run, and refuses before there is one',
    async () => {
      const empty = mkdtempSync(join(tmpdir(), 'models-cli-empty-'));
      const refused = spawnSync(join(ROOT, 'bin', 'fintech-etl'), ['--home', empty, 'models', 'run'], {
        encoding: 'utf8',
      });
      expect(refused.status).toBe(2);
      expect(refused.stderr).toBe(
        'fintech-etl: models run needs --vars logical_date=YYYY-MM-DD: no daily run has succeeded yet (fintech-etl runs), so there is no date to build the marts as of\n',
      );

      const harness = await createPipelineHarness();
      for (const day of ['2025-01-30', '2025-01-31'] as IsoDate[]) {
        await writeHandbuiltDay(harness.lake, day);
        expectRunOk(await harness.run(day));
      }
      const byAsOf = 'select as_of_date, count(*) as n from marts.mart_rfm_customer group by 1';
      const built = (await harness.warehouse.query(byAsOf)).rows;
      expect(built).toEqual([{ as_of_date: '2025-01-31', n: expect.any(Number) }]);
      await harness.warehouse.close();
      const run = spawnSync(
        join(ROOT, 'bin', 'fintech-etl'),
        ['--home', harness.home, 'models', 'run', '--select', 'mart_rfm_customer mart_customer_ltv'],
        { encoding: 'utf8' },
      );
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain(
        'logical_date 2025-01-31: the latest succeeded daily run (fintech-etl runs)',
      );
      const warehouse = await DuckDBWarehouse.open(join(harness.home, 'warehouse.duckdb'));
      try {
        // the marts the daily run built, not empty ones as of the project's placeholder date 1970-01-01
        expect((await warehouse.query(byAsOf)).rows).toEqual(built);
        const ltv = await warehouse.query('select distinct as_of_date from marts.mart_customer_ltv');
        expect(ltv.rows).toEqual([{ as_of_date: '2025-01-31' }]);
      } finally {
        await warehouse.close();
      }
    },
    END_TO_END_SETUP_MS,
  );
});
