/**
 * A throw-away fintech-etl home (lake, config, warehouse, state store) for end-to-end tests of the daily pipeline
 * on DuckDB or on a real PostgreSQL database, with a local lake or an S3 lake on the loopback server. `run(day)`
 * runs the DAG `daily_batch_etl` in this process, through the same runner as `fintech-etl run` (writer lease,
 * state store, per-try logs under the home), on the harness's open warehouse.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDailyRunner } from '../../pipeline/dag/daily-runner.ts';
import type { GoldOutput } from '../../pipeline/dag/gold-task.ts';
import type { LoadOutput } from '../../pipeline/dag/load-task.ts';
import type { ModelsOutput } from '../../pipeline/dag/models-task.ts';
import type { QualityOutput } from '../../pipeline/dag/quality-task.ts';
import type { SilverOutput } from '../../pipeline/dag/silver-task.ts';
import type { TestsOutput } from '../../pipeline/dag/tests-task.ts';
import type { ResolvedConfig } from '../../src/config/load-config.ts';
import type { IsoDate } from '../../src/core/dates.ts';
import { FintechEtlError } from '../../src/core/errors.ts';
import type { Lake } from '../../src/lake/lake.ts';
import type { DagRunResult } from '../../src/orchestrator/execution/run-dag.ts';
import { SqliteStateStore } from '../../src/orchestrator/state/sqlite/sqlite-state-store.ts';
import type { StateStore } from '../../src/orchestrator/state/state-store.ts';
import { loadSuites } from '../../src/quality/load-suites.ts';
import { type QualityRunRecord, readQualityRecords } from '../../src/quality/quality-results-store.ts';
import type { Suite } from '../../src/quality/suite.ts';
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
  /** The state store of the home (a SQLite file). */
  state: StateStore;
  /**
   * The daily run of `day` (a failed run of it is resumed); `acceptQualityFailures` loads what the quality gate
   * would hold (an operator's call); `force` runs a succeeded date again.
   */
  run(day: IsoDate, options?: DailyRunOptions): Promise<DailyRunResult>;
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
  const state = new SqliteStateStore(join(home, 'state.db'));
  return {
    home,
    lake,
    store,
    ...(server ? { server } : {}),
    config,
    warehouse,
    state,
    run: (logicalDate, options = {}) => runDailyDag({ config, lake, warehouse, state }, logicalDate, options),
    rows: async (relation) => {
      const [schema, name] = relation.split('.') as [string, string];
      const columns = await warehouse.columns({ schema, name });
      const order = columns.map((_, index) => index + 1).join(', ');
      return (await warehouse.query(`select * from ${relation} order by ${order}`)).rows;
    },
    close: async () => {
      await state.close();
      await warehouse.close();
      await lake.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface DailyRunOptions {
  acceptQualityFailures?: boolean;
  force?: boolean;
  /** Expectation suites other than the config's. */
  suites?: Suite[];
}

/** A run as the tests read it: each task's state and summary, and the recorded output of each task. */
export interface DailyRunResult {
  runId: string;
  logicalDate: IsoDate;
  asOfDate: IsoDate | undefined;
  ok: boolean;
  tasks: { task: string; status: 'success' | 'failed' | 'skipped'; summary: string }[];
  silver?: SilverOutput;
  /** The quality task's output (or, when it held the date, what it decided), with the gate's full record. */
  quality?: Partial<QualityOutput> & { held: boolean; accepted: boolean; gate: QualityRunRecord };
  load?: LoadOutput;
  models?: ModelsOutput;
  tests?: TestsOutput;
  gold?: GoldOutput['marts'];
  dag: DagRunResult;
  /** Exit code and message `fintech-etl run` would end with, when the run failed. */
  exit?: { code: 1 | 2; message: string };
}

/** The DAG for one date in this process, on an open warehouse, as `fintech-etl run --date` does it. */
export async function runDailyDag(
  home: { config: ResolvedConfig; lake: Lake; warehouse: Warehouse; state: StateStore },
  logicalDate: IsoDate,
  options: DailyRunOptions = {},
): Promise<DailyRunResult> {
  const { config, lake, warehouse, state } = home;
  const runner = createDailyRunner({
    config,
    lake,
    store: state,
    suites: options.suites ?? loadSuites(config.qualitySuitesDir),
    openWarehouse: async () => warehouse,
    callerOwnsWarehouse: true,
    acceptQualityFailures: options.acceptQualityFailures ?? false,
    logsDir: join(config.home, 'logs'),
  });
  try {
    const dag = await runner.runDate(logicalDate, options.force ? { force: true } : {});
    const run = await state.getRun(dag.runId);
    const output = <T>(task: string) =>
      dag.tasks.find((each) => each.task === task && each.state === 'success')?.output as T | undefined;
    const failed = dag.tasks.find((task) => task.state === 'failed');
    const errorOf = (task: string) => {
      const error = runner.taskError(task);
      return error instanceof Error ? error.message : undefined;
    };
    const tasks = dag.tasks.map((task) => ({
      task: task.task,
      status:
        task.state === 'success'
          ? ('success' as const)
          : task.state === 'failed'
            ? ('failed' as const)
            : ('skipped' as const),
      summary:
        task.state === 'failed'
          ? (errorOf(task.task) ?? task.error ?? '')
          : ((task.output as { summary?: string } | undefined)?.summary ?? ''),
    }));
    const quality = output<QualityOutput>('quality');
    const qualityRan = dag.tasks.find((task) => task.task === 'quality')?.state !== 'upstream_failed';
    const gate = qualityRan
      ? (await readQualityRecords(lake, logicalDate)).filter((record) => record.runId === dag.runId).at(-1)
      : undefined;
    const cause = failed ? runner.taskError(failed.task) : undefined;
    return {
      runId: dag.runId,
      logicalDate,
      asOfDate: run?.asOfDate,
      ok: dag.outcome === 'success' || dag.outcome === 'already-succeeded',
      tasks,
      silver: output<SilverOutput>('silver'),
      ...(gate
        ? {
            quality: {
              ...quality,
              held: quality === undefined,
              accepted: quality?.accepted ?? false,
              gate,
            },
          }
        : {}),
      load: output<LoadOutput>('load'),
      models: output<ModelsOutput>('models'),
      tests: output<TestsOutput>('tests'),
      gold: output<GoldOutput>('gold')?.marts,
      dag,
      ...(failed
        ? {
            exit: {
              code: cause instanceof FintechEtlError && cause.exitCode === 2 ? 2 : 1,
              message: `run for ${logicalDate} failed in task ${failed.task}: ${errorOf(failed.task) ?? failed.error}`,
            },
          }
        : {}),
    };
  } finally {
    await runner.close();
  }
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
