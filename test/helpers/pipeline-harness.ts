/**
 * A throw-away fintech-etl home (lake, config, warehouse) for end-to-end tests of the daily pipeline on DuckDB
 * or on a real PostgreSQL database.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type ResolvedConfig } from '../../src/config/load-config.ts';
import type { IsoDate } from '../../src/core/dates.ts';
import { LakeLayout } from '../../src/lake/lake-layout.ts';
import { type DailyRunResult, runDaily } from '../../src/orchestrator/daily-run.ts';
import { openWarehouse } from '../../src/warehouse/open-warehouse.ts';
import type { Warehouse, WarehouseRow } from '../../src/warehouse/warehouse.ts';

export const MARTS = [
  'mart_cohort_retention',
  'mart_customer_ltv',
  'mart_fraud_daily',
  'mart_merchant_daily',
  'mart_rfm_customer',
  'mart_sales_daily',
] as const;

/** Setup of several full daily runs; generous because the test machine is shared and its load varies a lot. */
export const END_TO_END_SETUP_MS = 600_000;

export interface PipelineHarness {
  home: string;
  lake: LakeLayout;
  config: ResolvedConfig;
  warehouse: Warehouse;
  /** The daily run of `day`; `acceptQualityFailures` loads what the quality gate would hold (an operator's call). */
  run(day: IsoDate, options?: { acceptQualityFailures?: boolean }): Promise<DailyRunResult>;
  /** Every row of a relation, ordered by all its columns, so two warehouses compare row for row. */
  rows(relation: string): Promise<WarehouseRow[]>;
  close(): Promise<void>;
}

export async function createPipelineHarness(
  options: { warehouseUrl?: string; configYaml?: string } = {},
): Promise<PipelineHarness> {
  const home = mkdtempSync(join(tmpdir(), 'fintech-pipeline-'));
  const yaml = [
    options.warehouseUrl ? `warehouse: ${options.warehouseUrl}` : '',
    options.configYaml ?? '',
  ].join('\n');
  writeFileSync(join(home, 'fintech-etl.yaml'), yaml);
  // One fixed key for every test home, so card tokens compare across homes (a real home creates its own).
  mkdirSync(join(home, 'secrets'), { recursive: true });
  writeFileSync(join(home, 'secrets', 'tokenization.key'), 'ab'.repeat(32), { mode: 0o600 });
  const config = loadConfig({ home, cwd: home, env: {} });
  const lake = new LakeLayout(join(home, 'lake'));
  const warehouse = await openWarehouse(config, { env: {} });
  return {
    home,
    lake,
    config,
    warehouse,
    run: (logicalDate, options = {}) => runDaily({ config, lake, warehouse, logicalDate, ...options }),
    rows: async (relation) => {
      const [schema, name] = relation.split('.') as [string, string];
      const columns = await warehouse.columns({ schema, name });
      const order = columns.map((_, index) => index + 1).join(', ');
      return (await warehouse.query(`select * from ${relation} order by ${order}`)).rows;
    },
    close: async () => {
      await warehouse.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Throws with the failed tasks' messages, so a failing run explains itself in the test output. */
export function expectRunOk(result: DailyRunResult): DailyRunResult {
  const failed = result.tasks.filter((task) => task.status === 'failed');
  if (failed.length)
    throw new Error(
      `run ${result.logicalDate} failed: ${failed.map((t) => `${t.task}: ${t.summary}`).join('; ')}`,
    );
  return result;
}
