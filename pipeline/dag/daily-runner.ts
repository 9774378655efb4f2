/**
 * Runs `daily_batch_etl` for one logical date the way every writer does (`run`, each date of `backfill`, the
 * scheduler, `task`, `demo`, and the tests' harness):
 *
 *   home's writer lease (waiting up to `waitSeconds`) → the warehouse's writer lock when the warehouse is
 *   reachable (a writer from another home using the same PostgreSQL database is refused here, by name) →
 *   runDag → the run's row of `audit.runs` → let go of the warehouse → release the lease.
 *
 * A warehouse that cannot be reached yet is not an error here: the tasks that need it open it and retry (with
 * the queue executor, this process takes the lock before it queues each try, and the tries on workers join it:
 * run-writer.ts).
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
import type { JsonObject } from '../../src/orchestrator/definitions/json-value.ts';
import { NO_TASK_EVENTS, type TaskEventSink } from '../../src/orchestrator/definitions/task-event.ts';
import { withTaskOverrides } from '../../src/orchestrator/definitions/task-overrides.ts';
import { type AlertSender, NO_ALERTS } from '../../src/orchestrator/execution/alerts.ts';
import type { Clock } from '../../src/orchestrator/execution/clock.ts';
import { afterPreviousDate } from '../../src/orchestrator/execution/date-order.ts';
import { errorSentence } from '../../src/orchestrator/execution/error-sentence.ts';
import { acquireLease, type HeldLease, WRITER_LEASE } from '../../src/orchestrator/execution/lease.ts';
import { currentProcess } from '../../src/orchestrator/execution/process-identity.ts';
import { type DagRunResult, runDag } from '../../src/orchestrator/execution/run-dag.ts';
import {
  type DateInFlight,
  type RunDatesInFlightOptions,
  runDatesInFlight,
} from '../../src/orchestrator/execution/run-dates-in-flight.ts';
import { localExecutor } from '../../src/orchestrator/execution/run-task.ts';
import type { RunMode } from '../../src/orchestrator/execution/select-tasks.ts';
import type { TaskExecutor } from '../../src/orchestrator/execution/task-executor.ts';
import { fingerprintProject } from '../../src/orchestrator/planner/project-fingerprint.ts';
import type {
  ProcessIdentity,
  RunFacts,
  RunTrigger,
  StateStore,
} from '../../src/orchestrator/state/state-store.ts';
import { WarehouseLockedError } from '../../src/warehouse/warehouse.ts';
import { dailyBatchEtl, dailyDagShape } from './daily-batch-etl.ts';
import { createDailyResources, type DailyResources, type DailyResourcesOptions } from './daily-resources.ts';
import { taskErrors } from './daily-task.ts';
import { ACCEPT_QUALITY_FAILURES } from './quality-task.ts';
import { writerOwnerOf } from './run-writer.ts';

export interface DailyRunnerOptions extends Omit<DailyResourcesOptions, 'holder' | 'role' | 'writerOwner'> {
  /** `<home>/logs`. */
  logsDir: string;
  /** Where the tries run (config `executor`): this process by default, or queue workers. */
  executor?: TaskExecutor;
  /** `run --accept-quality-failures`: the operator's decision for this invocation (the run's conf for quality). */
  acceptQualityFailures?: boolean;
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

export type DateToRun = DateInFlight;
export type RunDatesOptions = RunDatesInFlightOptions;

export interface DailyRunner {
  /** The DAG with the config's per-task overrides. */
  readonly dag: Dag;
  readonly resources: DailyResources;
  runDate(date: IsoDate, options?: RunDateOptions): Promise<DagRunResult>;
  /**
   * Several dates under one hold of the lease and the warehouse, up to `maxActiveRuns` in flight: each date's
   * tasks independent of other dates (the silver checks) at once, the rest in date order (date-order.ts).
   * Results in date order; a date never started (a failure stopped the backfill first) has none.
   */
  runDates(dates: readonly DateToRun[], options: RunDatesOptions): Promise<DagRunResult[]>;
  /** The error a task failed with last in this process (an exit code 2 error means bad config). */
  taskError(task: string): unknown;
  close(): Promise<void>;
}

export function createDailyRunner(options: DailyRunnerOptions): DailyRunner {
  const { config, lake, store } = options;
  const identity = options.identity ?? currentProcess();
  const events = options.events ?? NO_TASK_EVENTS;
  let lease: HeldLease | undefined;
  const resources = createDailyResources({
    ...options,
    role: 'driver',
    holder: `process ${identity.pid} on ${identity.host} (${identity.command}), home ${config.home}`,
    writerOwner: () => (lease ? writerOwnerOf(lease.record) : undefined),
  });
  const executor = driverExecutor(
    options.executor ?? localExecutor,
    resources,
    options.acceptQualityFailures ?? false,
  );
  const dag = withTaskOverrides(
    dailyBatchEtl(() => resources, dailyDagShape(config)),
    config.orchestrator.tasks,
  );

  const takeLease = async () => {
    const held = await acquireLease({
      store,
      name: WRITER_LEASE,
      waitSeconds: options.waitSeconds ?? 0,
      holder: identity,
      events,
    });
    lease = held;
    return held;
  };
  const letGo = async (held: HeldLease) => {
    // Between dates (or backfills) the warehouse is let go: a manual run (or, on DuckDB, any reader) can take it.
    await resources.discardWarehouse();
    lease = undefined;
    await held.release();
  };
  /** One date's run under the lease this process holds, then its `audit.runs` row. */
  const runUnderLease = async (
    held: HeldLease,
    date: IsoDate,
    mode: RunDateOptions,
    inFlight: { gate?: (task: string) => Promise<void>; halt?: AbortSignal } = {},
  ): Promise<DagRunResult> => {
    const stops = [
      held.lost,
      resources.warehouseLockLost,
      ...(mode.stopSignal ? [mode.stopSignal] : []),
      ...(inFlight.halt ? [inFlight.halt] : []),
    ];
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
      ...(inFlight.gate ? { gate: inFlight.gate } : {}),
      executor,
    });
    await mirrorRun(resources, result.runId, dag.order, events);
    return result;
  };

  const runDate = async (date: IsoDate, mode: RunDateOptions = {}): Promise<DagRunResult> => {
    const held = await takeLease();
    try {
      await lockWarehouseIfReachable(resources, events);
      return await runUnderLease(held, date, mode);
    } finally {
      await letGo(held);
    }
  };

  const runDates = async (
    dates: readonly DateToRun[],
    settings: RunDatesOptions,
  ): Promise<DagRunResult[]> => {
    const held = await takeLease();
    try {
      await lockWarehouseIfReachable(resources, events);
      return await runDatesInFlight(dates, settings, (date, mode, previous, halt) =>
        runUnderLease(held, date, mode, {
          gate: afterPreviousDate(dag, previous, AbortSignal.any([halt, held.lost, ...stopOf(mode)])),
          halt,
        }),
      );
    } finally {
      await letGo(held);
    }
  };

  return {
    dag,
    resources,
    runDate,
    runDates,
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

/**
 * The executor runDag drives the tries through, with what the driver does before each: the operator's
 * `--accept-quality-failures` onto the run's conf before a quality try (wherever it runs, it reads it from
 * there); and, before a try on a queue worker, the warehouse's writer lock if this process does not hold it yet
 * (the warehouse was down when the run started), since the workers' tries write under it.
 */
function driverExecutor(
  inner: TaskExecutor,
  resources: DailyResources,
  acceptQualityFailures: boolean,
): TaskExecutor {
  return {
    kind: inner.kind,
    runTry: async (settings, task, input, tryNumber) => {
      let conf = input.conf;
      if (task.name === 'quality') {
        conf = await recordAcceptance(settings.store, settings.run.runId, acceptQualityFailures);
      }
      if (inner.kind === 'queue') await lockWarehouseIfReachable(resources, settings.runEvents);
      return inner.runTry(settings, task, { ...input, conf }, tryNumber);
    },
  };
}

/** The run's conf with this invocation's quality decision, written back when it differs. */
async function recordAcceptance(store: StateStore, runId: string, accept: boolean): Promise<JsonObject> {
  const conf = (await store.getRun(runId))?.conf ?? {};
  if ((conf[ACCEPT_QUALITY_FAILURES] === true) === accept) return conf;
  const { [ACCEPT_QUALITY_FAILURES]: _previous, ...rest } = conf;
  const updated: JsonObject = accept ? { ...rest, [ACCEPT_QUALITY_FAILURES]: true } : rest;
  await store.updateRun(runId, { conf: updated });
  return updated;
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

function stopOf(mode: { stopSignal?: AbortSignal }): AbortSignal[] {
  return mode.stopSignal ? [mode.stopSignal] : [];
}
