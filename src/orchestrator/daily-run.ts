/**
 * The daily DAG for one logical date D: silver (bronze partition D) → quality → load → models → tests → gold.
 * Tasks run in order; the first failure skips the rest. The quality gate judges the silver batch before anything
 * reaches the warehouse (quality-step.ts), and failing error-severity model tests keep the marts out of gold.
 * Every run is recorded in `audit.runs`.
 *
 * @example
 *   const result = await runDaily({ config, lake, warehouse, project, logicalDate: '2025-03-01' });
 *   if (!result.ok) process.exitCode = 1;
 */
import type { ResolvedConfig } from '../config/load-config.ts';
import type { IsoDate } from '../core/dates.ts';
import { FintechEtlError } from '../core/errors.ts';
import { type EventSink, NO_EVENTS } from '../core/pipeline-event.ts';
import { redact } from '../core/redact.ts';
import { newRunId } from '../core/run-id.ts';
import { startStopwatch } from '../core/stopwatch.ts';
import type { Lake } from '../lake/lake.ts';
import { ModelCompiler } from '../models/compile/model-compiler.ts';
import { loadProject } from '../models/project/load-project.ts';
import { type RunModelsResult, runModels } from '../models/run/run-models.ts';
import { type TestModelsResult, testModels } from '../models/testing/test-models.ts';
import { loadSuites } from '../quality/load-suites.ts';
import { deleteHold, syncHoldsToWarehouse } from '../quality/quality-holds.ts';
import type { Suite } from '../quality/suite.ts';
import { runSilver, type SilverResult } from '../silver/run-silver.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import { exportGold, type GoldExport } from './export-gold.ts';
import { batchVars, type LoadWarehouseResult, loadSummary, loadWarehouse } from './load-warehouse.ts';
import { type QualityStepResult, qualitySummary, runQualityStep } from './quality-step.ts';
import { asOfDateFor, latestSucceededDate, recordRun } from './run-history.ts';

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
}

export interface DailyRunResult {
  runId: string;
  logicalDate: IsoDate;
  /** The date the customer marts were computed as of (see run-history.ts). */
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
  const startedAt = new Date();
  const runId = options.runId ?? newRunId(`run-${logicalDate}`);
  const asOfDate = asOfDateFor(logicalDate, await latestSucceededDate(warehouse));
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

  // Beyond the silver commits the warehouse lacks (the load finds them): the whole batch of a date a hold released.
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
    return { summary: loadSummary(result.load, warehouse.engine, runId) };
  });

  const vars = {
    logical_date: logicalDate,
    as_of_date: asOfDate,
    // The batch the load exposed (staging.silver_transactions_batch): incremental models read its rows and
    // recompute its event dates; the models run marks its commits done (load-warehouse.ts: batchVars).
    ...batchVars(result.load?.batch ?? { commits: [], ingestDates: [logicalDate], eventDates: [] }),
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

  await recordRun(warehouse, {
    runId,
    logicalDate,
    asOfDate,
    status: result.ok ? 'succeeded' : 'failed',
    startedAt,
    finishedAt: new Date(),
    summary: {
      tasks: result.tasks,
      ledger: result.silver?.ledger,
      quality: result.quality && {
        outcome: result.quality.gate.outcome,
        held: result.quality.held,
        released_hold: result.quality.releasing,
        failed: result.quality.gate.results
          .filter((expectation) => expectation.success === false)
          .map(({ dataset, expectationId, partition, severity }) => ({
            dataset,
            expectationId,
            partition,
            severity,
          })),
      },
      accept_quality_failures: options.acceptQualityFailures ?? false,
      accepted_quality_failures: result.quality?.accepted ?? false,
    },
  });
  return result;
}
