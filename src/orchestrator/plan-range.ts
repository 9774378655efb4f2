/**
 * The plan of a range of dates, read from where the facts are: the state store (runs, task instances, silver
 * writes and marts builds, in four queries), the lake (each date's bronze partitions, one snapshot per dataset)
 * and the model project on disk (its fingerprint). The decision itself is the pure `planDates`. What `plan`
 * prints and what `backfill` selects its dates from.
 */
import type { IsoDate } from '../core/dates.ts';
import { dateRange } from '../core/dates.ts';
import { UsageError } from '../core/errors.ts';
import type { Lake } from '../lake/lake.ts';
import { loadProject } from '../models/project/load-project.ts';
import { bronzeNow } from './bronze-now.ts';
import type { Dag } from './definitions/dag.ts';
import { type DatePlan, planDates } from './planner/plan-dates.ts';
import { fingerprintProject } from './planner/project-fingerprint.ts';
import { readPlanSnapshot } from './state/plan-snapshot.ts';
import type { StateStore } from './state/state-store.ts';

export interface PlanRangeInput {
  store: StateStore;
  lake: Lake;
  dag: Pick<Dag, 'name' | 'order'>;
  projectDir: string;
  from: IsoDate;
  to: IsoDate;
  now: Date;
  heartbeatTimeoutMs: number;
}

export async function planRange(input: PlanRangeInput): Promise<DatePlan[]> {
  const { from, to } = input;
  if (from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
  const [snapshot, bronze] = await Promise.all([
    readPlanSnapshot(input.store, input.dag.name, from, to),
    bronzeNow(input.lake, from, to),
  ]);
  const project = loadProject(input.projectDir, {
    vars: { logical_date: to, as_of_date: to, event_dates: [], silver_batch: true },
  });
  return planDates({
    dag: input.dag,
    dates: dateRange(from, to),
    now: input.now,
    heartbeatTimeoutMs: input.heartbeatTimeoutMs,
    ...snapshot,
    bronze,
    project: fingerprintProject(project),
  });
}
