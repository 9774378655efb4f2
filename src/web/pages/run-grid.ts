/**
 * The Pipeline page's run grid, pure: one row per logical date (newest first), one column per task, each cell
 * the task's state in the date's latest run and how many tries it took. Built from what the state store holds,
 * whatever wrote it (`run`, `backfill`, the scheduler, workers).
 */
import type { IsoDate } from '../../core/dates.ts';
import type {
  RunFailureKind,
  RunRecord,
  RunState,
  RunTrigger,
  TaskInstanceRecord,
  TaskState,
} from '../../orchestrator/state/state-store.ts';

export interface GridCell {
  state: TaskState;
  /** Tries in this run (the latest try's number); 0 for a task that never ran in it. */
  tries: number;
  /** Its output was copied from an earlier run (`run --from-task`), not run again. */
  reused: boolean;
}

export interface GridRun {
  run_id: string;
  state: RunState;
  failure_kind: RunFailureKind | null;
  /** Why it failed, one redacted sentence. */
  error: string | null;
  trigger: RunTrigger;
  started_at: string;
  finished_at: string | null;
  /** Unfinished, and its process has not sent a heartbeat within the timeout: it died. */
  stale: boolean;
}

export interface GridRow {
  date: IsoDate;
  /** Runs of this date in the state store (reruns and resumes count once each). */
  runs: number;
  /** The date's latest run; absent for a date that never ran. */
  run?: GridRun;
  cells: Record<string, GridCell>;
}

export interface RunGrid {
  tasks: string[];
  rows: GridRow[];
}

export interface RunGridInput {
  /** The dates of the rows, any order (shown newest first). */
  dates: readonly IsoDate[];
  /** Runs of these dates, newest first (StateStore.listRuns order). */
  runs: readonly RunRecord[];
  /** Task instances of the dates' latest runs. */
  instances: readonly TaskInstanceRecord[];
  /** The DAG's task order when known; else it is inferred from the runs. */
  order?: readonly string[];
  now: Date;
  heartbeatTimeoutMs: number;
}

export function buildRunGrid(input: RunGridInput): RunGrid {
  const latest = new Map<string, RunRecord>();
  const counts = new Map<string, number>();
  for (const run of input.runs) {
    counts.set(run.logicalDate, (counts.get(run.logicalDate) ?? 0) + 1);
    if (!latest.has(run.logicalDate)) latest.set(run.logicalDate, run);
  }
  const byRun = new Map<string, TaskInstanceRecord[]>();
  for (const instance of input.instances) {
    const list = byRun.get(instance.runId) ?? [];
    list.push(instance);
    byRun.set(instance.runId, list);
  }
  const shownRuns = [...latest.values()];
  const tasks = mergeOrder(
    input.order ?? [],
    shownRuns.map((run) => byRun.get(run.runId) ?? []),
  );
  const rows = [...input.dates]
    .sort((a, b) => b.localeCompare(a))
    .map((date): GridRow => {
      const run = latest.get(date);
      if (!run) return { date, runs: 0, cells: {} };
      const cells: Record<string, GridCell> = {};
      for (const instance of byRun.get(run.runId) ?? []) {
        cells[instance.task] = {
          state: instance.state,
          tries: instance.tryNumber,
          reused: instance.reusedFromRun !== undefined,
        };
      }
      return { date, runs: counts.get(date) ?? 0, run: gridRun(run, input), cells };
    });
  return { tasks, rows };
}

function gridRun(run: RunRecord, input: RunGridInput): GridRun {
  const unfinished = run.state === 'running' || run.state === 'queued';
  return {
    run_id: run.runId,
    state: run.state,
    failure_kind: run.failureKind ?? null,
    error: run.error ?? null,
    trigger: run.trigger,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt?.toISOString() ?? null,
    stale: unfinished && input.now.getTime() - run.heartbeatAt.getTime() > input.heartbeatTimeoutMs,
  };
}

/**
 * The columns: the known order first, then tasks it lacks in the order runs reached them (a task's instance is
 * updated when it ends, so within one run dependencies come before dependents); a task first seen in a later
 * run goes right after the task before it there.
 */
function mergeOrder(known: readonly string[], runs: readonly TaskInstanceRecord[][]): string[] {
  const order = [...known];
  for (const instances of runs) {
    const sequence = [...instances]
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime() || a.task.localeCompare(b.task))
      .map((instance) => instance.task);
    let previous = -1;
    for (const task of sequence) {
      const at = order.indexOf(task);
      if (at >= 0) {
        previous = at;
        continue;
      }
      order.splice(previous + 1, 0, task);
      previous += 1;
    }
  }
  return order;
}
