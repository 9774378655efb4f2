/**
 * The control plane as the CLI wires it: the configured state store, the expectation suites (a bad one exits 2
 * before anything is recorded), the lake, the warehouse opened on first use, webhook alerts, the stderr renderer
 * the test-only fault hooks and the configured executor (in process, or queue workers: open-task-executor.ts),
 * handed to `createDailyRunner` (pipeline/dag/daily-runner.ts). Run, backfill, task, scheduler and demo go
 * through here; the read-only commands (plan, runs, logs, export) open only the
 * state store (`openStateOnly`).
 */
import { join } from 'node:path';
import { DAILY_DAG, dailyBatchEtl, dailyDagShape } from '../../pipeline/dag/daily-batch-etl.ts';
import { createDailyRunner, type DailyRunner } from '../../pipeline/dag/daily-runner.ts';
import type { ResolvedConfig } from '../config/load-config.ts';
import { ConfigError, FintechEtlError, PipelineError } from '../core/errors.ts';
import type { PipelineEvent } from '../core/pipeline-event.ts';
import type { Lake } from '../lake/lake.ts';
import type { Dag } from '../orchestrator/definitions/dag.ts';
import type { TaskEventSink } from '../orchestrator/definitions/task-event.ts';
import { withTaskOverrides } from '../orchestrator/definitions/task-overrides.ts';
import { resolveAlertTargets, webhookAlerts } from '../orchestrator/execution/alerts.ts';
import { type Clock, clockFromEnvironment } from '../orchestrator/execution/clock.ts';
import type { DagRunResult } from '../orchestrator/execution/run-dag.ts';
import { openStateStore } from '../orchestrator/state/open-state-store.ts';
import type { StateStore } from '../orchestrator/state/state-store.ts';
import { loadSuites } from '../quality/load-suites.ts';
import type { CliContext } from './cli-context.ts';
import { faultHooksFromEnvironment, killAtEvent } from './fault-hooks.ts';
import { openTaskExecutor } from './open-task-executor.ts';
import { renderEvents } from './render-events.ts';

export { DAILY_DAG };

export interface ControlPlane extends DailyRunner {
  config: ResolvedConfig;
  lake: Lake;
  store: StateStore;
  logsDir: string;
  /** "Now" for plans and schedules: FINTECH_ETL_NOW when set (tests), else the system clock. */
  clock: Clock;
  events: TaskEventSink;
}

export interface ControlPlaneOptions {
  /** Seconds to wait for another writer of the home or the warehouse (`--wait`). */
  waitSeconds?: number;
  acceptQualityFailures?: boolean;
}

export function logsDirOf(config: Pick<ResolvedConfig, 'home'>): string {
  return join(config.home, 'logs');
}

/** The state store alone, for the commands that read what has run. */
export async function openStateOnly(
  context: CliContext,
): Promise<{ config: ResolvedConfig; store: StateStore }> {
  const config = context.config();
  return { config, store: await openStateStore(config) };
}

/** The DAG as declared, with the config's overrides, without resources (plan, runs, export). */
export function declaredDag(config: ResolvedConfig): Dag {
  return withTaskOverrides(dailyBatchEtl(undefined, dailyDagShape(config)), config.orchestrator.tasks);
}

/** The renderer of stderr as a sink for the control plane's events, with the kill switch of the fault hooks. */
export function cliEvents(): TaskEventSink {
  const rendered = renderEvents();
  return killAtEvent({
    // The renderer shows the pipeline's kinds it knows (notices, warnings, timings) and skips the others.
    emit: (event) => rendered.emit(event as unknown as PipelineEvent),
  });
}

export async function openControlPlane(
  context: CliContext,
  options: ControlPlaneOptions = {},
): Promise<ControlPlane> {
  const config = context.config();
  // Config problems (a bad override, a bad suite) exit 2 before anything is opened or recorded.
  declaredDag(config);
  assertWarehouseFitsExecutor(config);
  const suites = loadSuites(config.qualitySuitesDir);
  const faults = faultHooksFromEnvironment();
  const clock = clockFromEnvironment();
  const lake = await context.lake();
  const store = await openStateStore(config);
  const { openWarehouse } = await import('../warehouse/open-warehouse.ts');
  const events = cliEvents();
  const logsDir = logsDirOf(config);
  const alerts = webhookAlerts(
    await resolveAlertTargets(config.alerts, { home: config.home, env: process.env }),
  );
  // Last: its Redis connections keep the process alive until close.
  const opened = await openTaskExecutor(config);
  const runner = createDailyRunner({
    config,
    lake,
    store,
    suites,
    openWarehouse: (warehouseEvents) => openWarehouse(config, { events: warehouseEvents }),
    waitSeconds: options.waitSeconds ?? 0,
    acceptQualityFailures: options.acceptQualityFailures ?? false,
    faults,
    logsDir,
    events,
    executor: opened.executor,
    alerts,
  });
  return {
    ...runner,
    config,
    lake,
    store,
    logsDir,
    clock,
    events,
    close: async () => {
      await opened.close();
      await runner.close();
      await store.close();
    },
  };
}

/**
 * A DuckDB warehouse is one file that one process writes at a time: tries on queue workers, each a process of
 * its own (on other machines, too), cannot share it. Exit 2 naming the key, before anything is queued.
 */
export function assertWarehouseFitsExecutor(config: ResolvedConfig): void {
  const target = config.warehouseTarget;
  if (config.executor.kind !== 'queue' || target.kind !== 'duckdb') return;
  throw new ConfigError(
    `config key 'warehouse' is the DuckDB file '${target.path}': with executor kind queue the daily DAG's ` +
      'tasks write it from worker processes, so it must be a postgres:// or redshift:// URL every worker reaches',
  );
}

/** Exit code 1 naming the failed task and its error sentence; 2 when it failed on bad config. */
export function failIfRunFailed(plane: Pick<DailyRunner, 'taskError'>, result: DagRunResult): void {
  if (result.outcome === 'success' || result.outcome === 'already-succeeded' || result.outcome === 'queued')
    return;
  const failed = result.tasks.find((task) => task.state === 'failed');
  const why =
    result.outcome === 'stopped'
      ? `run for ${result.logicalDate} was stopped${failed ? ` in task ${failed.task}` : ''}; run it again to resume`
      : `run for ${result.logicalDate} failed in task ${failed?.task ?? '?'}: ${failed?.error ?? result.error ?? 'no error recorded'}`;
  const cause = failed ? plane.taskError(failed.task) : undefined;
  const message = `${why} (fintech-etl logs ${result.runId})`;
  throw cause instanceof FintechEtlError && cause.exitCode === 2
    ? new ConfigError(message)
    : new PipelineError(message);
}
