/**
 * `plan` on the Pipeline page: for each date of the range, what a run would do and why (src/orchestrator/planner,
 * pure), from the state store's snapshot, the bronze partitions the lake holds now and the model project's
 * fingerprint now. The dates that would run come first in the answer; up-to-date dates are only counted.
 */
import { dateRange, type IsoDate } from '../../core/dates.ts';
import { type DatePlan, type DateStatus, planDates } from '../../orchestrator/planner/plan-dates.ts';
import type { PlanSnapshot } from '../../orchestrator/state/plan-snapshot.ts';
import type { BronzeNow } from '../data/lake-files.ts';
import type { WebData } from '../page-registry.ts';

export interface PlannedDate {
  date: IsoDate;
  status: DateStatus;
  reasons: string[];
  would_run: boolean;
  /** Tasks a run would execute (a resume's for a failed date). */
  tasks: string[];
  bronze_rows: Record<string, number>;
}

export interface PipelinePlan {
  /** Dates of the range by status; `no bronze` counts the dates that never ran and have nothing to run yet. */
  counts: Partial<Record<DateStatus | 'no bronze', number>>;
  /** The dates with something to do or to look at, oldest first (the order a backfill takes them). */
  dates: PlannedDate[];
}

export async function pipelinePlan(options: {
  data: WebData;
  dag: { name: string; order: readonly string[] };
  from: IsoDate;
  to: IsoDate;
  snapshot: PlanSnapshot;
  bronze: BronzeNow;
  now: Date;
}): Promise<PipelinePlan> {
  const [bronze, project] = await Promise.all([
    options.bronze.partitions(options.from, options.to),
    options.data.lineage.fingerprint(),
  ]);
  const plans = planDates({
    dag: options.dag,
    dates: dateRange(options.from, options.to),
    now: options.now,
    heartbeatTimeoutMs: options.data.runs.heartbeatTimeoutMs,
    runs: options.snapshot.runs,
    taskInstances: options.snapshot.taskInstances,
    bronze,
    project,
    freshness: options.snapshot.freshness,
    silverWrites: options.snapshot.silverWrites,
  });
  const counts: PipelinePlan['counts'] = {};
  const listed: DatePlan[] = [];
  for (const plan of plans) {
    const waiting = plan.status === 'missing' && Object.keys(plan.explain.bronzeRows).length === 0;
    const status = waiting ? 'no bronze' : plan.status;
    counts[status] = (counts[status] ?? 0) + 1;
    if (!waiting && plan.status !== 'up to date') listed.push(plan);
  }
  return { counts, dates: listed.map(plannedDate) };
}

function plannedDate(plan: DatePlan): PlannedDate {
  return {
    date: plan.date,
    status: plan.status,
    reasons: plan.reasons,
    would_run: plan.wouldRun,
    tasks: plan.explain.tasks,
    bronze_rows: plan.explain.bronzeRows,
  };
}
