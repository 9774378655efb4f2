/**
 * What the tasks of `daily_batch_etl` work with besides their JSON input: the config, the lake, the state store,
 * the expectation suites, and the warehouse — opened on first use inside a try, so a warehouse that is down when
 * a run starts (a DuckDB file another process holds, a PostgreSQL that refuses connections) fails that try, and
 * the retry opens it again.
 *
 * Two roles (run-writer.ts): the process driving runs (`driver`) takes the warehouse's writer lock as it opens
 * it (a PostgreSQL advisory lock, recorded under the home's writer lease) and holds it until
 * {@link DailyResources.discardWarehouse}, so two homes writing one warehouse never interleave; a queue worker
 * (`worker`) opens the warehouse without it and joins its run's driver's lock for each try
 * ({@link DailyResources.forTry}).
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
import { joinRunWriter } from './run-writer.ts';

/** Test seams (fault injection), set from the environment by the CLI; a real run has none. */
export interface FaultHooks {
  /** Called as a try starts its work; throws to fail that try, or holds it (a pause of the test's). */
  beforeTask?(task: string, tryNumber: number): void | Promise<void>;
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
  /** `driver` (default): takes the warehouse's writer lock; `worker`: joins the lock of each try's run. */
  role?: 'driver' | 'worker';
  /** How this process describes itself to a writer that finds the warehouse locked. */
  holder: string;
  /** The driver's writer lease, under whose tag (run-writer.ts: writerOwnerOf) the lock is recorded when taken. */
  writerOwner?: () => string | undefined;
  /** Seconds to wait for another home's writer (`--wait`). */
  waitSeconds?: number;
  faults?: FaultHooks;
}

/** The resources as one try sees them, until {@link TryResources.end}. */
export interface TryResources {
  resources: DailyResources;
  /** Lets go of what the try joined (a worker's share of its driver's lock). */
  end(): Promise<void>;
}

export interface DailyResources {
  readonly config: ResolvedConfig;
  readonly lake: Lake;
  readonly store: StateStore;
  readonly suites: Suite[];
  readonly faults: FaultHooks;
  /**
   * The warehouse, opened (and, for a driver, locked) on first use; an open that failed is tried again by the
   * next call. A task gets it through {@link forTry}, which on a worker joins the run's writer lock first.
   */
  warehouse(): Promise<Warehouse>;
  /**
   * The resources for one try of run `runId`: its warehouse runs the try's statements under `signal` (the try's
   * timeout or stop interrupts them: Warehouse.withSignal); on a worker it is usable only under the run's lock.
   */
  forTry(runId: string, task: string, signal: AbortSignal): TryResources;
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
  let opened: Promise<{ warehouse: Warehouse; lock: WarehouseWriterLock | undefined }> | undefined;
  let exposed: string | undefined;
  let parsed: { key: string; project: ModelProject } | undefined;

  const role = options.role ?? 'driver';
  const open = async () => {
    const warehouse = await options.openWarehouse(events);
    if (role === 'worker') return { warehouse, lock: undefined };
    try {
      const owner = options.writerOwner?.();
      const lock = await warehouse.acquireWriterLock({
        holder: options.holder,
        waitSeconds: options.waitSeconds ?? 0,
        ...(owner ? { owner } : {}),
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
    await held.lock?.release().catch(() => undefined);
    if (!options.callerOwnsWarehouse) await held.warehouse.close().catch(() => undefined);
  };

  const warehouse = async () => {
    opened ??= open();
    try {
      return (await opened).warehouse;
    } catch (error) {
      opened = undefined;
      throw error;
    }
  };

  const resources: DailyResources = {
    config: options.config,
    lake: options.lake,
    store: options.store,
    suites: options.suites,
    faults: options.faults ?? {},
    warehouse,
    forTry: (runId, task, signal) => {
      if (role === 'driver') {
        return {
          resources: { ...resources, warehouse: async () => (await warehouse()).withSignal(signal) },
          end: async () => undefined,
        };
      }
      let joined: Promise<WarehouseWriterLock> | undefined;
      return {
        resources: {
          ...resources,
          warehouse: async () => {
            const open = await warehouse();
            joined ??= joinRunWriter(options.store, open, runId, task);
            try {
              await joined;
            } catch (error) {
              joined = undefined;
              throw error;
            }
            return open.withSignal(signal);
          },
        },
        end: async () => {
          const held = await joined?.catch(() => undefined);
          await held?.release();
        },
      };
    },
    discardWarehouse: discard,
    warehouseLockLost: lockLost.signal,
    useEvents: (sink) => {
      current = sink;
    },
    // A worker cannot know whether another worker's load replaced the batch since it exposed it: it exposes it
    // again (a view over the loaded rows of the date).
    batchExposedFor: (runId, ingestDate) => role === 'driver' && exposed === `${runId}\u0000${ingestDate}`,
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
  return resources;
}
