/**
 * What the tasks of `daily_batch_etl` work with besides their JSON input: the config, the lake, the state store,
 * the expectation suites, and the warehouse — opened on first use inside a try, so a warehouse that is down when
 * a run starts (a DuckDB file another process holds, a PostgreSQL that refuses connections) fails that try, and
 * the retry opens it again. Opening it takes the warehouse's writer lock (a PostgreSQL advisory lock), held until
 * {@link DailyResources.close}, so two homes writing one warehouse never interleave.
 *
 * Nothing here carries data from one task to the next: that goes through the recorded outputs only, so a run
 * resumed in another process sees what the first one saw.
 */
import type { ResolvedConfig } from '../../src/config/load-config.ts';
import type { IsoDate } from '../../src/core/dates.ts';
import type { EventSink, PipelineEvent } from '../../src/core/pipeline-event.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { loadProject } from '../../src/models/project/load-project.ts';
import type { ModelProject } from '../../src/models/project/model-project.ts';
import type { TaskEventSink } from '../../src/orchestrator/definitions/task-event.ts';
import type { StateStore } from '../../src/orchestrator/state/state-store.ts';
import type { Suite } from '../../src/quality/suite.ts';
import type { CommitHooks } from '../../src/silver/silver-commit.ts';
import type { Warehouse, WarehouseWriterLock } from '../../src/warehouse/warehouse.ts';

/** Test seams (fault injection), set from the environment by the CLI; a real run has none. */
export interface FaultHooks {
  /** Called as a try starts its work; throws to fail that try. */
  beforeTask?(task: string, tryNumber: number): void;
  /** Passed to silver's commit (a kill right after its commit point). */
  silverCommit?: CommitHooks;
}

export interface DailyResourcesOptions {
  config: ResolvedConfig;
  lake: Lake;
  store: StateStore;
  /** The expectation suites, loaded before anything runs (a bad suite exits 2 before a run starts). */
  suites: Suite[];
  /** Opens the configured warehouse; its statements are reported to `events`. */
  openWarehouse(events: EventSink): Promise<Warehouse>;
  /**
   * The warehouse belongs to the caller (a test's open warehouse): it is never closed here, only its writer
   * lock is released.
   */
  callerOwnsWarehouse?: boolean;
  /** How this process describes itself to a writer that finds the warehouse locked. */
  holder: string;
  /** Seconds to wait for another home's writer (`--wait`). */
  waitSeconds?: number;
  /** `run --accept-quality-failures`: an operator's decision for this invocation, recorded in the quality output. */
  acceptQualityFailures?: boolean;
  faults?: FaultHooks;
}

export interface DailyResources {
  readonly config: ResolvedConfig;
  readonly lake: Lake;
  readonly store: StateStore;
  readonly suites: Suite[];
  readonly acceptQualityFailures: boolean;
  readonly faults: FaultHooks;
  /** The warehouse, opened and locked on first use; an open that failed is tried again by the next call. */
  warehouse(): Promise<Warehouse>;
  /** Releases the lock and closes the warehouse (between dates); the next {@link warehouse} opens it again. */
  discardWarehouse(): Promise<void>;
  /** Aborted when the warehouse's writer lock is lost: the run stops (no new task starts). */
  readonly warehouseLockLost: AbortSignal;
  /** Routes the warehouse's statement events (and silver's steps) to the running try's log. */
  useEvents(sink: TaskEventSink): void;
  /**
   * Whether `staging.silver_transactions_batch` holds this run's batch: exposed by this process's load task.
   * A task resumed in another process (or after another date ran) exposes it again from its recorded input.
   */
  batchExposedFor(runId: string, ingestDate: IsoDate): boolean;
  markBatchExposed(runId: string, ingestDate: IsoDate): void;
  /**
   * The model project parsed with these vars; the models, tests and gold tasks of one run share one parse
   * (only the latest is kept: a long-lived scheduler sees the project's files as they are at each date).
   */
  project(vars: Record<string, unknown>): ModelProject;
  close(): Promise<void>;
}

export function createDailyResources(options: DailyResourcesOptions): DailyResources {
  let current: TaskEventSink | undefined;
  const events: EventSink = { emit: (event: PipelineEvent) => current?.emit(event) };
  const lockLost = new AbortController();
  let opened: Promise<{ warehouse: Warehouse; lock: WarehouseWriterLock }> | undefined;
  let exposed: string | undefined;
  let parsed: { key: string; project: ModelProject } | undefined;

  const open = async () => {
    const warehouse = await options.openWarehouse(events);
    try {
      const lock = await warehouse.acquireWriterLock({
        holder: options.holder,
        waitSeconds: options.waitSeconds ?? 0,
      });
      lock.lost.addEventListener('abort', () => lockLost.abort(lock.lost.reason), { once: true });
      return { warehouse, lock };
    } catch (error) {
      if (!options.callerOwnsWarehouse) await warehouse.close().catch(() => undefined);
      throw error;
    }
  };
  const discard = async () => {
    const was = opened;
    opened = undefined;
    exposed = undefined;
    const held = await was?.catch(() => undefined);
    if (!held) return;
    await held.lock.release().catch(() => undefined);
    if (!options.callerOwnsWarehouse) await held.warehouse.close().catch(() => undefined);
  };

  return {
    config: options.config,
    lake: options.lake,
    store: options.store,
    suites: options.suites,
    acceptQualityFailures: options.acceptQualityFailures ?? false,
    faults: options.faults ?? {},
    warehouse: async () => {
      opened ??= open();
      try {
        return (await opened).warehouse;
      } catch (error) {
        opened = undefined;
        throw error;
      }
    },
    discardWarehouse: discard,
    warehouseLockLost: lockLost.signal,
    useEvents: (sink) => {
      current = sink;
    },
    batchExposedFor: (runId, ingestDate) => exposed === `${runId}\u0000${ingestDate}`,
    markBatchExposed: (runId, ingestDate) => {
      exposed = `${runId}\u0000${ingestDate}`;
    },
    project: (vars) => {
      const key = JSON.stringify(vars);
      if (parsed?.key !== key) parsed = { key, project: loadProject(options.config.projectDir, { vars }) };
      return parsed.project;
    },
    close: discard,
  };
}
