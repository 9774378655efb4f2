/**
 * Runs `daily_batch_etl` for one logical date the way every writer does (`run`, each date of `backfill`, the
 * scheduler, `task`, `demo`, and the tests' harness):
 *
 *   home's writer lease (waiting up to `waitSeconds`) → the warehouse's writer lock when the warehouse is
 *   reachable (a writer from another home using the same PostgreSQL database is refused here, by name) →
 *   runDag → the run's row of `audit.runs` → let go of the warehouse → release the lease.
 *
 * A warehouse that cannot be reached yet is not an error here: the tasks that need it open it and retry.
 *
 * @example
 *   const runner = createDailyRunner({ config, lake, store, suites, openWarehouse, logsDir, holder });
 *   const result = await runner.runDate('2025-03-01');
 *   await runner.close();
 */
import type { ResolvedConfig } from '../../src/config/load-config.ts';
import type { IsoDate } from '../../src/core/dates.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { loadProject } from '../../src/models/project/load-project.ts';
import { mirrorRuns } from '../../src/orchestrator/audit-runs-mirror.ts';
import { bronzeFingerprintsOf } from '../../src/orchestrator/bronze-now.ts';
import type { Dag } from '../../src/orchestrator/definitions/dag.ts';
import { NO_TASK_EVENTS, type TaskEventSink } from '../../src/orchestrator/definitions/task-event.ts';
import { withTaskOverrides } from '../../src/orchestrator/definitions/task-overrides.ts';
import { type AlertSender, NO_ALERTS } from '../../src/orchestrator/execution/alerts.ts';
import type { Clock } from '../../src/orchestrator/execution/clock.ts';
import { errorSentence } from '../../src/orchestrator/execution/error-sentence.ts';
import { acquireLease, WRITER_LEASE } from '../../src/orchestrator/execution/lease.ts';
import { currentProcess } from '../../src/orchestrator/execution/process-identity.ts';
import { type DagRunResult, runDag } from '../../src/orchestrator/execution/run-dag.ts';
import type { RunMode } from '../../src/orchestrator/execution/select-tasks.ts';
import { fingerprintProject } from '../../src/orchestrator/planner/project-fingerprint.ts';
import type { ProcessIdentity, RunFacts, RunTrigger } from '../../src/orchestrator/state/state-store.ts';
import { WarehouseLockedError } from '../../src/warehouse/warehouse.ts';
import { dailyBatchEtl } from './daily-batch-etl.ts';
import { createDailyResources, type DailyResources, type DailyResourcesOptions } from './daily-resources.ts';
import { taskErrors } from './daily-task.ts';

export interface DailyRunnerOptions extends Omit<DailyResourcesOptions, 'holder'> {
  /** `<home>/logs`. */
  logsDir: string;
  identity?: ProcessIdentity;
  /** Every event of every run: the CLI's renderer. */
  events?: TaskEventSink;
  alerts?: AlertSender;
  clock?: Clock;
}

export interface RunDateOptions extends RunMode {
  trigger?: RunTrigger;
  stopSignal?: AbortSignal;
  /** One try per task (Airflow retries `fintech-etl task`). */
  singleTry?: boolean;
}

export interface DailyRunner {
  /** The DAG with the config's per-task overrides. */
  readonly dag: Dag;
  readonly resources: DailyResources;
  runDate(date: IsoDate, options?: RunDateOptions): Promise<DagRunResult>;
  /** The error a task failed with last in this process (an exit code 2 error means bad config). */
  taskError(task: string): unknown;
  close(): Promise<void>;
}

export function createDailyRunner(options: DailyRunnerOptions): DailyRunner {
  const { config, lake, store } = options;
  const identity = options.identity ?? currentProcess();
  const events = options.events ?? NO_TASK_EVENTS;
  const resources = createDailyResources({
    ...options,
    holder: `process ${identity.pid} on ${identity.host} (${identity.command}), home ${config.home}`,
  });
  const dag = withTaskOverrides(
    dailyBatchEtl(() => resources),
    config.orchestrator.tasks,
  );

  const runDate = async (date: IsoDate, mode: RunDateOptions = {}): Promise<DagRunResult> => {
    const lease = await acquireLease({
      store,
      name: WRITER_LEASE,
      waitSeconds: options.waitSeconds ?? 0,
      holder: identity,
      events,
    });
    try {
      await lockWarehouseIfReachable(resources, events);
      const stops = [lease.lost, resources.warehouseLockLost, ...(mode.stopSignal ? [mode.stopSignal] : [])];
      const result = await runDag({
        dag,
        store,
        logicalDate: date,
        logsDir: options.logsDir,
        trigger: mode.trigger ?? (mode.onlyTask ? 'task' : 'manual'),
        facts: await runFacts(config, lake, date),
        identity,
        events,
        alerts: options.alerts ?? NO_ALERTS,
        heartbeatIntervalMs: config.orchestrator.heartbeat_interval * 1000,
        heartbeatTimeoutMs: config.orchestrator.heartbeat_timeout * 1000,
        stopSignal: AbortSignal.any(stops),
        ...(options.clock ? { clock: options.clock } : {}),
        ...(mode.force ? { force: true } : {}),
        ...(mode.fromTask !== undefined ? { fromTask: mode.fromTask } : {}),
        ...(mode.onlyTask !== undefined ? { onlyTask: mode.onlyTask } : {}),
        ...(mode.singleTry ? { singleTry: true } : {}),
      });
      await mirrorRun(resources, result.runId, dag.order, events);
      return result;
    } finally {
      // Between dates the warehouse is let go: a manual run (or, on DuckDB, any reader) can take it.
      await resources.discardWarehouse();
      await lease.release();
    }
  };

  return {
    dag,
    resources,
    runDate,
    taskError: (task) => taskErrors.get(resources)?.get(task),
    close: () => resources.close(),
  };
}

/**
 * Takes the warehouse's writer lock before the run starts, so a writer from another home is refused before
 * anything is written; a warehouse that is not reachable yet is left to the tasks, which retry.
 */
async function lockWarehouseIfReachable(resources: DailyResources, events: TaskEventSink): Promise<void> {
  try {
    await resources.warehouse();
  } catch (error) {
    if (error instanceof WarehouseLockedError) throw error;
    events.emit({
      kind: 'notice',
      message: `the warehouse is not reachable yet (${errorSentence(error)}); the tasks that need it retry`,
    });
  }
}

/** What the run is built from, recorded on it for `plan`: the date's bronze and the model project. */
async function runFacts(config: ResolvedConfig, lake: Lake, date: IsoDate): Promise<RunFacts> {
  const project = loadProject(config.projectDir, {
    vars: { logical_date: date, as_of_date: date, event_dates: [], silver_batch: true },
  });
  return {
    bronzeFingerprints: await bronzeFingerprintsOf(lake, date),
    projectFingerprint: fingerprintProject(project),
  };
}

/** Best effort: a run whose warehouse is down keeps its state store record; the next mirror brings it over. */
async function mirrorRun(
  resources: DailyResources,
  runId: string,
  order: readonly string[],
  events: TaskEventSink,
): Promise<void> {
  try {
    await mirrorRuns(await resources.warehouse(), resources.store, [runId], order);
  } catch (error) {
    events.emit({
      kind: 'warning',
      message: `audit.runs in the warehouse was not updated for run ${runId}: ${errorSentence(error)}`,
    });
  }
}
