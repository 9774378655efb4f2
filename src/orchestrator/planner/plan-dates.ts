/**
 * `plan`: for each date of a range, what a run would do and why — pure set arithmetic over what the state store
 * recorded (runs, their bronze and project fingerprints, silver writes and marts builds) and what the lake and
 * the model project hold now. No database, no clock: the caller reads both sides and passes `now`.
 *
 * Statuses, in the order they win when several apply:
 * - `running`: the date's latest run is in progress (its heartbeat is fresh).
 * - `killed`: its latest run was killed or stopped (or was left running without a heartbeat).
 * - `failed`: its latest run failed.
 * - `missing`: it never ran to success (reason says whether its bronze is there yet).
 * - `new bronze`: a bronze partition of that date (any dataset) appeared or changed since its last success.
 * - `models changed`: the model project's fingerprint differs from the one its last success was built with.
 * - `late data pending`: its silver partitions were rewritten by a run after the one that built its marts.
 * - `up to date`.
 */
import type { IsoDate } from '../../core/dates.ts';
import type {
  PartitionFreshness,
  ProjectFingerprint,
  RunRecord,
  SilverWriteRecord,
  TaskInstanceRecord,
} from '../state/state-store.ts';
import { changedModels } from './project-fingerprint.ts';

export type DateStatus =
  | 'running'
  | 'killed'
  | 'failed'
  | 'missing'
  | 'new bronze'
  | 'models changed'
  | 'late data pending'
  | 'up to date';

/** A bronze partition of one date as it is now: its manifest fingerprint and row count. */
export interface BronzePartitionNow {
  fingerprint: string;
  rows: number;
}

export interface PlanInput {
  dag: { name: string; order: readonly string[] };
  dates: readonly IsoDate[];
  now: Date;
  /** A running run whose heartbeat is older than this is dead. */
  heartbeatTimeoutMs: number;
  /** Runs of the DAG for these dates (any order; every run, or at least each date's latest and last success). */
  runs: readonly RunRecord[];
  /** Task instances of the dates' latest runs (which tasks a resume would run). */
  taskInstances: readonly TaskInstanceRecord[];
  /** date → dataset → its bronze partition now; a date without bronze may be absent. */
  bronze: ReadonlyMap<string, Readonly<Record<string, BronzePartitionNow>>>;
  /** The model project now. */
  project: ProjectFingerprint;
  freshness: readonly PartitionFreshness[];
  /** Silver writes of the dates' latest runs (what `--explain` lists). */
  silverWrites: readonly SilverWriteRecord[];
}

export interface DatePlan {
  date: IsoDate;
  status: DateStatus;
  /** One sentence per reason, the status's first. */
  reasons: string[];
  /** Whether `run --date` (or backfill) has work to do for this date. */
  wouldRun: boolean;
  latestRunId?: string;
  /** Datasets whose bronze appeared or changed since the last success. */
  newBronze?: string[];
  /** Models (and macros, seeds) changed since the last success was built. */
  changedModels?: string[];
  explain: {
    /** Tasks a run would execute: all of them, or those a resume would run. */
    tasks: string[];
    /** Bronze rows of the date, by dataset. */
    bronzeRows: Record<string, number>;
    /** Silver partitions touched: those late data rewrote, then those the date's last run wrote. */
    silverPartitions: string[];
  };
}

export function planDates(input: PlanInput): DatePlan[] {
  const latest = new Map<string, RunRecord>();
  const lastSuccess = new Map<string, RunRecord>();
  for (const run of input.runs) {
    if (run.dag !== input.dag.name) continue;
    const date = run.logicalDate;
    if (isLater(run, latest.get(date))) latest.set(date, run);
    if (run.state === 'success' && isLater(run, lastSuccess.get(date))) lastSuccess.set(date, run);
  }
  const instancesByRun = groupBy(input.taskInstances, (instance) => instance.runId);
  const writesByRun = groupBy(input.silverWrites, (write) => write.runId);
  const freshness = new Map(input.freshness.map((entry) => [entry.partitionDate as string, entry]));

  return input.dates.map((date) => {
    const run = latest.get(date);
    const success = lastSuccess.get(date);
    const bronze = input.bronze.get(date) ?? {};
    const bronzeRows = Object.fromEntries(
      Object.entries(bronze).map(([dataset, part]) => [dataset, part.rows]),
    );
    const written = run
      ? (writesByRun.get(run.runId) ?? []).map((write) => `${write.dataset}/${write.partitionDate}`)
      : [];
    const plan = (
      status: DateStatus,
      reasons: string[],
      tasks: string[],
      extra: Partial<DatePlan> = {},
    ): DatePlan => ({
      date,
      status,
      reasons,
      wouldRun: tasks.length > 0,
      ...(run ? { latestRunId: run.runId } : {}),
      ...extra,
      explain: {
        tasks,
        bronzeRows,
        silverPartitions: unique([...(extra.explain?.silverPartitions ?? []), ...written]),
      },
    });
    const allTasks = [...input.dag.order];

    if (run && (run.state === 'running' || run.state === 'queued')) {
      const silentMs = input.now.getTime() - run.heartbeatAt.getTime();
      const driver = `process ${run.process.pid} on ${run.process.host}`;
      if (silentMs <= input.heartbeatTimeoutMs) {
        return plan('running', [`run ${run.runId} is in progress (${driver})`], []);
      }
      return plan(
        'killed',
        [
          `run ${run.runId} was left unfinished by ${driver}: no heartbeat since ${run.heartbeatAt.toISOString()}`,
        ],
        resumeTasks(input.dag.order, instancesByRun.get(run.runId)),
      );
    }
    if (run?.state === 'failed') {
      const tasks = resumeTasks(input.dag.order, instancesByRun.get(run.runId));
      const why = run.error ?? 'no error recorded';
      if (run.failureKind === 'killed' || run.failureKind === 'stopped') {
        return plan('killed', [`run ${run.runId} was ${run.failureKind}: ${why}`], tasks);
      }
      return plan('failed', [`run ${run.runId} failed: ${why}`], tasks);
    }
    if (!success) {
      const datasets = Object.keys(bronze).sort();
      if (datasets.length === 0)
        return plan('missing', ['no bronze partition of this date yet, never run'], []);
      const rows = datasets.map(
        (dataset) => `${dataset} ${bronze[dataset]!.rows.toLocaleString('en-US')} rows`,
      );
      return plan('missing', [`bronze present (${rows.join(', ')}), never run`], allTasks);
    }

    const reasons: { status: DateStatus; sentence: string }[] = [];
    const extra: Partial<DatePlan> = {};
    const recorded = success.bronzeFingerprints;
    if (recorded) {
      const changed = Object.keys(bronze)
        .filter((dataset) => recorded[dataset] !== bronze[dataset]!.fingerprint)
        .sort();
      if (changed.length) {
        extra.newBronze = changed;
        const described = changed.map(
          (dataset) => `${dataset} (${recorded[dataset] === undefined ? 'appeared' : 'changed'})`,
        );
        reasons.push({
          status: 'new bronze',
          sentence: `bronze changed since run ${success.runId}: ${described.join(', ')}`,
        });
      }
    }
    if (success.projectFingerprint) {
      const models = changedModels(success.projectFingerprint, input.project);
      if (models.length) {
        extra.changedModels = models;
        reasons.push({
          status: 'models changed',
          sentence: `models changed since run ${success.runId}: ${models.join(', ')}`,
        });
      }
    }
    const fresh = freshness.get(date);
    if (fresh?.lastWrite && (!fresh.lastBuild || fresh.lastWrite.commit > fresh.lastBuild.silverCommit)) {
      const built = fresh.lastBuild
        ? `its marts were built by run ${fresh.lastBuild.runId} (silver commit ${fresh.lastBuild.silverCommit})`
        : 'no run has built its marts';
      reasons.push({
        status: 'late data pending',
        sentence:
          `silver ${fresh.lastWrite.dataset}/${date} was rewritten by run ${fresh.lastWrite.runId} ` +
          `(silver commit ${fresh.lastWrite.commit}) after ${built}`,
      });
      extra.explain = { tasks: [], bronzeRows, silverPartitions: [`${fresh.lastWrite.dataset}/${date}`] };
    }
    if (reasons.length === 0) {
      return plan('up to date', [`built by run ${success.runId}`], []);
    }
    return plan(
      reasons[0]!.status,
      reasons.map((reason) => reason.sentence),
      allTasks,
      extra,
    );
  });
}

/** Tasks a resume of this run executes: the ones that have not succeeded, in DAG order. */
function resumeTasks(
  order: readonly string[],
  instances: readonly TaskInstanceRecord[] | undefined,
): string[] {
  const succeeded = new Set((instances ?? []).filter((i) => i.state === 'success').map((i) => i.task));
  return order.filter((task) => !succeeded.has(task));
}

function isLater(run: RunRecord, than: RunRecord | undefined): boolean {
  if (!than) return true;
  const difference = run.startedAt.getTime() - than.startedAt.getTime();
  return difference > 0 || (difference === 0 && run.runId > than.runId);
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = key(item);
    const group = groups.get(name);
    if (group) group.push(item);
    else groups.set(name, [item]);
  }
  return groups;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
