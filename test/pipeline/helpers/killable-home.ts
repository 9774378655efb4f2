/**
 * A throw-away fintech-etl home whose DAG runs can be SIGKILLed at a kill point (killed-daily-run.ts, a child
 * process) and run again in this process (the harness's `runDailyDag`: a killed run of the date is resumed), on
 * DuckDB or PostgreSQL. The warehouse and the state store are opened only for the duration of each step, since a
 * DuckDB file admits one process at a time.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type ResolvedConfig } from '../../../src/config/load-config.ts';
import type { IsoDate } from '../../../src/core/dates.ts';
import { generateBronze } from '../../../src/generate/generate-bronze.ts';
import type { GeneratorSettings } from '../../../src/generate/generator-settings.ts';
import type { Lake } from '../../../src/lake/lake.ts';
import { openLake } from '../../../src/lake/open-lake.ts';
import { openStateStore } from '../../../src/orchestrator/state/open-state-store.ts';
import { openWarehouse } from '../../../src/warehouse/open-warehouse.ts';
import type { Warehouse, WarehouseRow } from '../../../src/warehouse/warehouse.ts';
import { type DailyRunResult, MARTS, runDailyDag } from '../../helpers/pipeline-harness.ts';
import { exited, spawnHelper } from '../../orchestrator/helpers/child-process.ts';
import { describeKillPoint, type KillPoint } from './kill-point.ts';

export interface KillableHome {
  home: string;
  config: ResolvedConfig;
  lake: Lake;
  /** The daily run of `date` in a child process, SIGKILLed at `point`; throws when it was not killed there. */
  killedRun(date: IsoDate, point: KillPoint): Promise<void>;
  /**
   * The DAG run of `date` in this process (`acceptQualityFailures`: an operator's call); a run of the date a
   * kill left unfinished is resumed.
   */
  run(date: IsoDate, options?: { acceptQualityFailures?: boolean }): Promise<DailyRunResult>;
  /** Runs `fn` on the home's warehouse, opened for it alone. */
  withWarehouse<T>(fn: (warehouse: Warehouse) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * `settings` generated for `days` (or the bronze `bronze` writes into the home's lake); the tokenization key is
 * the one every test home shares.
 */
export async function createKillableHome(options: {
  settings: GeneratorSettings;
  days: IsoDate[];
  warehouseUrl?: string;
  bronze?: (lake: Lake) => Promise<void>;
}): Promise<KillableHome> {
  const home = mkdtempSync(join(tmpdir(), 'fintech-killable-'));
  mkdirSync(join(home, 'secrets'), { recursive: true });
  writeFileSync(join(home, 'secrets', 'tokenization.key'), 'ab'.repeat(32), { mode: 0o600 });
  writeFileSync(
    join(home, 'fintech-etl.yaml'),
    options.warehouseUrl ? `warehouse: ${options.warehouseUrl}\n` : '',
  );
  const config = loadConfig({ home, cwd: home, env: {} });
  const lake = await openLake(config);
  if (options.bronze) await options.bronze(lake);
  else
    await generateBronze({
      lake,
      settings: options.settings,
      from: options.days[0]!,
      to: options.days.at(-1)!,
    });
  const withWarehouse = async <T>(fn: (warehouse: Warehouse) => Promise<T>): Promise<T> => {
    const warehouse = await openWarehouse(config, { env: {} });
    try {
      return await fn(warehouse);
    } finally {
      await warehouse.close();
    }
  };
  return {
    home,
    config,
    lake,
    withWarehouse,
    killedRun: async (date, point) => {
      const child = spawnHelper(new URL('./killed-daily-run.ts', import.meta.url).href, [
        home,
        date,
        JSON.stringify(point),
      ]);
      const { signal, code } = await exited(child);
      if (signal !== 'SIGKILL') {
        throw new Error(
          `the run of ${date} was not killed ${describeKillPoint(point)} (exit ${code}): ${child.output()}`,
        );
      }
    },
    run: (date, runOptions = {}) =>
      withWarehouse(async (warehouse) => {
        const state = await openStateStore(config, { env: {} });
        try {
          return await runDailyDag({ config, lake, warehouse, state }, date, runOptions);
        } finally {
          await state.close();
        }
      }),
    close: async () => {
      await lake.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Every row of a relation, ordered by all its columns, so two warehouses compare row for row. */
export async function orderedRows(warehouse: Warehouse, relation: string): Promise<WarehouseRow[]> {
  const [schema, name] = relation.split('.') as [string, string];
  const columns = await warehouse.columns({ schema, name });
  const order = columns.map((_, index) => index + 1).join(', ');
  return (await warehouse.query(`select * from ${relation} order by ${order}`)).rows;
}

/** The marts, the fact and agg_customer_daily: what a user reads and what later runs build on. */
export async function outputsOf(warehouse: Warehouse): Promise<Record<string, WarehouseRow[]>> {
  const relations = [
    ...MARTS.map((mart) => `marts.${mart}`),
    'core.fact_transactions',
    'core.agg_customer_daily',
  ];
  const outputs: Record<string, WarehouseRow[]> = {};
  for (const relation of relations) outputs[relation] = await orderedRows(warehouse, relation);
  return outputs;
}
