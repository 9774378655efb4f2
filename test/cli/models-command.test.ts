import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.ts';

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
