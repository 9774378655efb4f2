/**
 * What has run: the control plane's record of runs, task instances, tries, leases and the facts `plan` compares
 * against (bronze fingerprints, the model project's fingerprint, silver writes and the marts built from them).
 * One interface, two implementations passing one contract suite (state-store.contract.ts): an embedded SQLite
 * file under home (several processes at once) and PostgreSQL (`state: postgres://…`). The state store, not a
 * queue or memory, says what has run (DESIGN.md §5.10).
 *
 * Runs and tries are written when they start, so a process killed at any point leaves a record that the next
 * process recognises (src/orchestrator/execution/dead-tries.ts).
 */
import type { IsoDate } from '../../core/dates.ts';
import { PipelineError } from '../../core/errors.ts';
import type { JsonObject, JsonValue } from '../definitions/json-value.ts';

/** queued: created by a task-by-task driver (`fintech-etl task`, Airflow) and waiting for its next task. */
export type RunState = 'queued' | 'running' | 'success' | 'failed';
/** Why a failed run failed: a task failed; its process died (SIGKILL, lost machine); it was stopped (SIGTERM). */
export type RunFailureKind = 'task' | 'killed' | 'stopped';
export type RunTrigger = 'manual' | 'backfill' | 'scheduler' | 'task';
export type TaskState = 'queued' | 'running' | 'success' | 'failed' | 'skipped' | 'upstream_failed';
export type TryState = 'queued' | 'running' | 'success' | 'failed';
/** error: the task threw; timeout: it passed its deadline; killed: its process died; abandoned: stopped on SIGTERM. */
export type TryFailureKind = 'error' | 'timeout' | 'killed' | 'abandoned';

/** The process doing something: enough for an operator to find it, and for another process to tell it died. */
export interface ProcessIdentity {
  pid: number;
  host: string;
  /** The command line, redacted (`fintech-etl run --date 2025-03-01`). */
  command: string;
}

/** Per-model hashes of SQL + config, so `plan` can list the models that changed (planner/project-fingerprint.ts). */
export interface ProjectFingerprint {
  hash: string;
  models: Record<string, string>;
}

/** What a run was built from, recorded when it starts (and again when it is resumed). */
export interface RunFacts {
  /** The date its as-of marts are computed as of. */
  asOfDate?: IsoDate;
  /** Dataset → fingerprint of its bronze partition of the logical date (planner/bronze-fingerprint.ts). */
  bronzeFingerprints?: Record<string, string>;
  projectFingerprint?: ProjectFingerprint;
}

export interface RunRecord extends RunFacts {
  runId: string;
  dag: string;
  logicalDate: IsoDate;
  state: RunState;
  failureKind?: RunFailureKind;
  /** One sentence, redacted: why the run failed. */
  error?: string;
  trigger: RunTrigger;
  /** The run's parameters (what tasks receive as `input.conf`). */
  conf: JsonObject;
  startedAt: Date;
  finishedAt?: Date;
  /** Renewed while a process drives the run; older than the heartbeat timeout means that process is gone. */
  heartbeatAt: Date;
  /** The process that last drove the run. */
  process: ProcessIdentity;
  /** The silver commit (recordSilverWrites' counter) its marts were built from; set by recordMartsBuilt. */
  silverCommit?: number;
}

export interface NewRun {
  runId: string;
  dag: string;
  logicalDate: IsoDate;
  state: 'queued' | 'running';
  trigger: RunTrigger;
  conf: JsonObject;
  startedAt: Date;
  process: ProcessIdentity;
  facts?: RunFacts;
}

/** Fields to change; `null` clears an optional field (a resumed run loses its old error). */
export interface RunUpdate {
  state?: RunState;
  failureKind?: RunFailureKind | null;
  error?: string | null;
  finishedAt?: Date | null;
  heartbeatAt?: Date;
  process?: ProcessIdentity;
  facts?: RunFacts;
  /** Replaces the run's parameters: an operator's decision for the invocation resuming it (`--accept-…`). */
  conf?: JsonObject;
}

export interface RunFilter {
  dag?: string;
  logicalDate?: IsoDate;
  /** Logical dates from / to, both included. */
  from?: IsoDate;
  to?: IsoDate;
  states?: RunState[];
  limit?: number;
}

/** The current state of one task in one run (its latest try, or a state it reached without a try). */
export interface TaskInstanceRecord {
  runId: string;
  task: string;
  state: TaskState;
  /** Its latest try; 0 when it never ran in this run (upstream_failed, skipped, or reused). */
  tryNumber: number;
  /** The recorded output of a successful task (null for a task that returned nothing). */
  output?: JsonValue;
  /** Set when the output was copied from an earlier run (`run --from-task` on a succeeded date). */
  reusedFromRun?: string;
  updatedAt: Date;
}

export interface TryRecord {
  runId: string;
  task: string;
  tryNumber: number;
  state: TryState;
  failureKind?: TryFailureKind;
  error?: string;
  startedAt: Date;
  finishedAt?: Date;
  heartbeatAt: Date;
  process: ProcessIdentity;
  /** Absolute path of the try's JSON-lines log. */
  logPath: string;
  /** Set on a failed try that must not be retried (its output is not JSON; it may still be writing). */
  retryable?: false;
}

export interface NewTry {
  runId: string;
  task: string;
  tryNumber: number;
  startedAt: Date;
  process: ProcessIdentity;
  logPath: string;
}

export type TryOutcome =
  | { state: 'success'; output: JsonValue; finishedAt: Date }
  | {
      state: 'failed';
      error: string;
      failureKind: TryFailureKind;
      finishedAt: Date;
      /** False when the failure must not be retried; recorded, so the process deciding retries can read it. */
      retryable?: boolean;
    };

/** A task instance state reached without running a try. */
export type TaskInstanceUpdate =
  | { state: 'skipped' | 'upstream_failed' }
  | { state: 'success'; output: JsonValue; reusedFromRun: string };

/** draining: asked to stop (SIGTERM), it finishes its running tries and takes no new one. */
export type WorkerState = 'running' | 'draining' | 'stopped';

/** A queue worker process (`fintech-etl worker`): what `workers` lists. */
export interface WorkerRecord {
  workerId: string;
  process: ProcessIdentity;
  /** The executor's queue name (config `executor.queue`). */
  queue: string;
  /** The tasks it takes, as `dag.task`. */
  tasks: string[];
  concurrency: number;
  state: WorkerState;
  startedAt: Date;
  /** Renewed while it lives; older than the heartbeat timeout (or its pid gone on this host) = dead. */
  heartbeatAt: Date;
  stoppedAt?: Date;
}

export type NewWorker = Omit<WorkerRecord, 'state' | 'heartbeatAt' | 'stoppedAt'>;

export interface LeaseRecord {
  name: string;
  /** Random per acquisition: renew and release only succeed for the holder that took it. */
  token: string;
  holder: ProcessIdentity;
  acquiredAt: Date;
  renewedAt: Date;
  expiresAt: Date;
}

export interface LeaseRequest {
  name: string;
  token: string;
  holder: ProcessIdentity;
  now: Date;
  ttlMs: number;
  /**
   * Take the lease over from the holder with this token even though it has not expired (the caller checked the
   * holder is dead). Fails if another process got there first.
   */
  replaceToken?: string;
}

export type LeaseAttempt = { acquired: true; lease: LeaseRecord } | { acquired: false; current: LeaseRecord };

export interface SilverWrite {
  dataset: string;
  partitionDate: IsoDate;
}

export interface SilverWriteRecord extends SilverWrite {
  /** The silver commit counter: increases with every recordSilverWrites call of any run. */
  commit: number;
  runId: string;
  writtenAt: Date;
}

/** For one partition date: the last silver write of it, and the last marts build that covered it. */
export interface PartitionFreshness {
  partitionDate: IsoDate;
  lastWrite?: { commit: number; runId: string; dataset: string };
  lastBuild?: { silverCommit: number; runId: string };
}

export interface StateStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Where it is, for messages (a file path, or a URL without password). */
  readonly location: string;
  /** The applied schema version (migrations are applied when the store opens). */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;

  /** Refuses a second unfinished (queued or running) run of the same DAG and date: RunConflictError. */
  createRun(run: NewRun): Promise<RunRecord>;
  updateRun(runId: string, update: RunUpdate): Promise<void>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** The most recently started run of `dag` for `logicalDate`. */
  latestRun(dag: string, logicalDate: IsoDate): Promise<RunRecord | undefined>;
  /** Newest first (by start time). */
  listRuns(filter: RunFilter): Promise<RunRecord[]>;

  /** Records a try as running and makes it the task instance's latest; TryConflictError if that try exists. */
  startTry(newTry: NewTry): Promise<void>;
  /**
   * The queue executor hands try `tryNumber` of a task to the queue: its instance becomes `queued` at that try
   * (no try record until a worker starts it).
   */
  queueTask(runId: string, task: string, tryNumber: number, at: Date): Promise<void>;
  /**
   * A worker starts a queued try: like startTry, but only while the instance is still `queued` at exactly that
   * try number. A job delivered twice, or a stale job of an earlier try, gets a StateConflictError (and must
   * do nothing): this is what makes at-least-once delivery safe.
   */
  startQueuedTry(newTry: NewTry): Promise<void>;
  heartbeatTry(runId: string, task: string, tryNumber: number, at: Date): Promise<void>;
  /**
   * Ends a running try and sets its task instance (with the output on success) in one transaction; true when it
   * did. A try that has ended is written again only with the same failure (its own process making it not
   * retryable): a late end — from a worker whose try another process recorded killed after its heartbeat stopped
   * (cut off from the network, then back) — writes nothing and returns false, so the recorded end stands.
   */
  finishTry(runId: string, task: string, tryNumber: number, outcome: TryOutcome): Promise<boolean>;
  setTaskInstance(runId: string, task: string, update: TaskInstanceUpdate, at: Date): Promise<void>;
  /** The task instances of one or several runs. */
  taskInstances(runIds: string | readonly string[]): Promise<TaskInstanceRecord[]>;
  /** Tries of a run (one task's when given), by task then try number. */
  tries(runId: string, task?: string): Promise<TryRecord[]>;
  /** Every try recorded as running, of any run, oldest first (what `workers` shows each worker doing). */
  runningTries(): Promise<TryRecord[]>;

  /** Records a worker process as running, heartbeat now. */
  registerWorker(worker: NewWorker): Promise<void>;
  /** Renews its heartbeat, and changes its state when given (`stopped` records `stoppedAt`). */
  updateWorker(workerId: string, update: { heartbeatAt: Date; state?: WorkerState }): Promise<void>;
  /** Workers by start time, newest first; stopped ones only with `includeStopped`. */
  listWorkers(filter?: { includeStopped?: boolean }): Promise<WorkerRecord[]>;

  /** Takes the lease if it is free, expired, or held under `replaceToken`; else says who holds it. */
  acquireLease(request: LeaseRequest): Promise<LeaseAttempt>;
  /** Extends the lease; undefined when this token no longer holds it (it expired and was taken over). */
  renewLease(name: string, token: string, now: Date, ttlMs: number): Promise<LeaseRecord | undefined>;
  releaseLease(name: string, token: string): Promise<void>;
  getLease(name: string): Promise<LeaseRecord | undefined>;

  /** Records partitions a run's silver step rewrote; returns the silver commit number given to them. */
  recordSilverWrites(runId: string, writes: readonly SilverWrite[], at: Date): Promise<number>;
  /**
   * Records that `runId` built the marts of these partition dates from every silver write so far; sets the
   * run's silverCommit and returns it.
   */
  recordMartsBuilt(runId: string, partitionDates: readonly IsoDate[], at: Date): Promise<number>;
  silverWrites(filter: {
    runIds?: readonly string[];
    from?: IsoDate;
    to?: IsoDate;
  }): Promise<SilverWriteRecord[]>;
  partitionFreshness(from: IsoDate, to: IsoDate): Promise<PartitionFreshness[]>;
}

/** A second unfinished run of the same date, or a try number another process already started. */
export class StateConflictError extends PipelineError {
  override name = 'StateConflictError';
}
