/**
 * A throw-away fintech-etl home (lake, config, warehouse) for end-to-end tests of the daily pipeline on DuckDB
 * or on a real PostgreSQL database, with a local lake or an S3 lake on the loopback server.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedConfig } from '../../src/config/load-config.ts';
import type { IsoDate } from '../../src/core/dates.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { type DailyRunResult, runDaily } from '../../src/orchestrator/daily-run.ts';
import { openWarehouse } from '../../src/warehouse/open-warehouse.ts';
import type { Warehouse, WarehouseRow } from '../../src/warehouse/warehouse.ts';
import type { S3TestServer } from './s3-test-server.ts';
import { createTestLake, type StoreKind } from './test-lake.ts';

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
  lake: Lake;
  store: StoreKind;
  /** The S3 server of an S3 lake. */
  server?: S3TestServer;
  config: ResolvedConfig;
  warehouse: Warehouse;
  /** The daily run of `day`; `acceptQualityFailures` loads what the quality gate would hold (an operator's call). */
  run(day: IsoDate, options?: { acceptQualityFailures?: boolean }): Promise<DailyRunResult>;
  /** Every row of a relation, ordered by all its columns, so two warehouses compare row for row. */
  rows(relation: string): Promise<WarehouseRow[]>;
  close(): Promise<void>;
}

export async function createPipelineHarness(
  options: { warehouseUrl?: string; configYaml?: string; store?: StoreKind } = {},
): Promise<PipelineHarness> {
  const home = mkdtempSync(join(tmpdir(), 'fintech-pipeline-'));
  const yaml = [
    options.warehouseUrl ? `warehouse: ${options.warehouseUrl}` : '',
    options.configYaml ?? '',
  ].join('\n');
  // One fixed key for every test home, so card tokens compare across homes (a real home creates its own).
  mkdirSync(join(home, 'secrets'), { recursive: true });
  writeFileSync(join(home, 'secrets', 'tokenization.key'), 'ab'.repeat(32), { mode: 0o600 });
  const store = options.store ?? 'local';
  const { config, lake, server } = await createTestLake(store, home, yaml);
  const warehouse = await openWarehouse(config, { env: {} });
  return {
    home,
    lake,
    store,
    ...(server ? { server } : {}),
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
      await lake.close();
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
