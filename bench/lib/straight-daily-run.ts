/**
 * The daily pipeline as one straight script, without the control plane (no state store, no retries, no logs,
 * no lease): silver → quality → load → models → tests → gold in memory, each step's result handed to the next.
 * Kept only for bench/control-plane.bench.ts, which compares a run through the DAG with this straight line in
 * the same process (the orchestration's cost). `fintech-etl run` goes through pipeline/dag.
 */
import type { ResolvedConfig } from '../../src/config/load-config.ts';
import type { IsoDate } from '../../src/core/dates.ts';
import { FintechEtlError } from '../../src/core/errors.ts';
import { type EventSink, NO_EVENTS } from '../../src/core/pipeline-event.ts';
import { redact } from '../../src/core/redact.ts';
import { newRunId } from '../../src/core/run-id.ts';
import { startStopwatch } from '../../src/core/stopwatch.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { ModelCompiler } from '../../src/models/compile/model-compiler.ts';
import { loadProject } from '../../src/models/project/load-project.ts';
import { type RunModelsResult, runModels } from '../../src/models/run/run-models.ts';
import { type TestModelsResult, testModels } from '../../src/models/testing/test-models.ts';
import { exportGold, type GoldExport } from '../../src/orchestrator/export-gold.ts';
import { type LoadWarehouseResult, loadWarehouse } from '../../src/orchestrator/load-warehouse.ts';
import {
  type QualityStepResult,
  qualitySummary,
  runQualityStep,
} from '../../src/orchestrator/quality-step.ts';
import { loadSuites } from '../../src/quality/load-suites.ts';
import { deleteHold, syncHoldsToWarehouse } from '../../src/quality/quality-holds.ts';
import type { Suite } from '../../src/quality/suite.ts';
import { runSilver, type SilverResult } from '../../src/silver/run-silver.ts';
import type { Warehouse } from '../../src/warehouse/warehouse.ts';

export const TASKS = ['silver', 'quality', 'load', 'models', 'tests', 'gold'] as const;
export type TaskName = (typeof TASKS)[number];

export interface TaskReport {
  task: TaskName;
  status: 'success' | 'failed' | 'skipped';
  seconds: number;
  /**
   * CPU seconds of the whole process during the task (DuckDB's threads included): a figure that holds up on a
   * busy machine, where wall time mostly measures the neighbours.
   */
  cpuSeconds: number;
  /** One line for the run summary (rows, models built, tests passed). */
  summary: string;
  error?: string;
  /** 2 when the task failed on bad usage or config (a suite naming an unknown column), as the CLI exits. */
  exitCode?: 1 | 2;
}

export interface DailyRunOptions {
  config: ResolvedConfig;
  lake: Lake;
  warehouse: Warehouse;
  logicalDate: IsoDate;
  runId?: string;
  /**
   * Where the run reports as it goes: each task's start and end (wall and CPU seconds), silver's steps, notices
   * (a created tokenization key, a recovered silver commit). The warehouse reports its statements to the sink
   * it was opened with. Default: nowhere.
   */
  events?: EventSink;
  /** Load even when error expectations of the quality gate fail; recorded on the run. */
  acceptQualityFailures?: boolean;
  /** The expectation suites; default: loaded from config `quality.suites` before anything runs. */
  suites?: Suite[];
  /** The as-of date of the customer marts; default the logical date. */
  asOfDate?: IsoDate;
}

export interface DailyRunResult {
  runId: string;
  logicalDate: IsoDate;
  /** The date the customer marts were computed as of. */
  asOfDate: IsoDate;
  ok: boolean;
  tasks: TaskReport[];
  silver?: SilverResult;
  quality?: QualityStepResult;
  load?: LoadWarehouseResult;
  models?: RunModelsResult;
  tests?: TestModelsResult;
  gold?: GoldExport[];
}

export async function runDaily(options: DailyRunOptions): Promise<DailyRunResult> {
  const { config, lake, warehouse, logicalDate } = options;
  const events = options.events ?? NO_EVENTS;
  // A bad suite is refused before anything runs (exit 2, naming the file and line).
  const suites = options.suites ?? loadSuites(config.qualitySuitesDir);
  const runId = options.runId ?? newRunId(`run-${logicalDate}`);
  const asOfDate = options.asOfDate ?? logicalDate;
  const result: DailyRunResult = { runId, logicalDate, asOfDate, ok: true, tasks: [] };

  const task = async (name: TaskName, body: () => Promise<{ summary: string; ok?: boolean }>) => {
    if (!result.ok) {
      result.tasks.push({
        task: name,
        status: 'skipped',
        seconds: 0,
        cpuSeconds: 0,
        summary: 'skipped: an earlier task failed',
      });
      return;
    }
    events.emit({ kind: 'task-started', task: name });
    const watch = startStopwatch();
    let report: TaskReport & { status: 'success' | 'failed' };
    try {
      const outcome = await body();
      const status = (outcome.ok ?? true) ? ('success' as const) : ('failed' as const);
      report = { task: name, status, ...watch.read(), summary: outcome.summary };
    } catch (error) {
      const message = redact(error instanceof Error ? error.message : String(error));
      report = {
        task: name,
        status: 'failed',
        ...watch.read(),
        summary: message,
        error: message,
        ...(error instanceof FintechEtlError && error.exitCode === 2 ? { exitCode: 2 as const } : {}),
      };
    }
    result.tasks.push(report);
    if (report.status === 'failed') result.ok = false;
    const { seconds, cpuSeconds } = report;
    events.emit({ kind: 'task-finished', task: name, status: report.status, seconds, cpuSeconds });
  };

  await task('silver', async () => {
    result.silver = await runSilver({ config, lake, ingestDate: logicalDate, runId, events });
    const ledger = result.silver.ledger;
    return {
      summary:
        `${ledger.bronze_rows} bronze rows: ${ledger.inserted} inserted, ${ledger.superseded} superseded, ` +
        `${ledger.duplicates} duplicates, ${ledger.quarantined} quarantined; ` +
        `${result.silver.touchedEventDates.length} event dates touched`,
    };
  });

  await task('quality', async () => {
    const silver = result.silver!;
    result.quality = await runQualityStep({
      config,
      lake,
      warehouse,
      ingestDate: logicalDate,
      runId,
      suites,
      silver: {
        writtenFiles: silver.writtenFiles,
        touchedEventDates: silver.touchedEventDates,
        ledger: silver.ledger,
      },
      acceptFailures: options.acceptQualityFailures ?? false,
    });
    return { ok: !result.quality.held, summary: qualitySummary(result.quality) };
  });

  // What the load and models take: the run's own changes, or the whole batch of a date a hold released.
  const batch = result.quality?.load ?? {
    touchedEventDates: result.silver?.touchedEventDates ?? [],
    writtenFiles: result.silver?.writtenFiles ?? [],
  };

  await task('load', async () => {
    result.load = await loadWarehouse({
      warehouse,
      lake,
      logicalDate,
      touchedEventDates: batch.touchedEventDates,
      writtenFiles: batch.writtenFiles,
      runId,
    });
    const loaded = Object.entries(result.load.rows).filter(([, rows]) => rows > 0);
    return {
      summary: loaded.length
        ? loaded.map(([table, rows]) => `${table} ${rows}`).join(', ')
        : `${warehouse.engine} reads silver in place`,
    };
  });

  const vars = {
    logical_date: logicalDate,
    as_of_date: asOfDate,
    event_dates: batch.touchedEventDates,
    // The load task exposed the rows the silver commit wrote (staging.silver_transactions_batch): incremental
    // models read them from there (pipeline/macros/event_dates.sql: run_transactions).
    silver_batch: true,
  };
  // Parsed with the run's vars, as dbt does: config such as `partitions=var('event_dates')` needs them.
  const project = loadProject(config.projectDir, { vars });

  await task('models', async () => {
    result.models = await runModels({
      warehouse,
      project,
      vars,
      runId,
      concurrency: config.models.concurrency,
    });
    const built = result.models.models.filter((model) => model.status === 'success').length;
    const failed = result.models.models.filter((model) => model.status === 'error');
    return {
      ok: result.models.ok,
      summary:
        `${built} of ${result.models.models.length} models built` +
        (failed.length
          ? `; failed: ${failed.map((model) => `${model.name} (${model.error})`).join('; ')}`
          : ''),
    };
  });

  await task('tests', async () => {
    result.tests = await testModels({ warehouse, project, vars, runId });
    const count = (status: string) => result.tests!.tests.filter((test) => test.status === status).length;
    const failing = result.tests.tests.filter((test) => test.status === 'fail' || test.status === 'error');
    return {
      ok: result.tests.ok,
      summary:
        `${count('pass')} passed, ${count('warn')} warned, ${failing.length} failed` +
        (failing.length ? `: ${failing.map((test) => test.name).join(', ')} (see audit.test_failures)` : ''),
    };
  });

  await task('gold', async () => {
    const compiler = new ModelCompiler(project, warehouse, vars);
    const marts = [...project.models.keys()]
      .map((name) => compiler.relationOf(name))
      .filter((relation) => relation.schema === 'marts')
      .sort((a, b) => a.name.localeCompare(b.name));
    result.gold = await exportGold(warehouse, lake, marts, { runId });
    return { summary: `${result.gold.length} marts exported to ${lake.location}/gold/marts` };
  });

  if (result.ok && result.quality?.releasing) {
    // The released batch is in the warehouse now: the hold has done its job.
    await deleteHold(lake, logicalDate, runId);
    await syncHoldsToWarehouse(warehouse, lake);
  }

  return result;
}
