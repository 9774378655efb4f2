/**
 * What `plan` needs from the state store for a range of dates, read in four queries: the DAG's runs of those
 * dates, the task instances and silver writes of each date's latest run, and each date's partition freshness.
 * The planner itself (src/orchestrator/planner) is pure and takes this snapshot as a value.
 */
import type { IsoDate } from '../../core/dates.ts';
import type {
  PartitionFreshness,
  RunRecord,
  SilverWriteRecord,
  StateStore,
  TaskInstanceRecord,
} from './state-store.ts';

export interface PlanSnapshot {
  runs: RunRecord[];
  taskInstances: TaskInstanceRecord[];
  freshness: PartitionFreshness[];
  silverWrites: SilverWriteRecord[];
}

export async function readPlanSnapshot(
  store: StateStore,
  dag: string,
  from: IsoDate,
  to: IsoDate,
): Promise<PlanSnapshot> {
  const runs = await store.listRuns({ dag, from, to });
  // listRuns is newest first: the first run seen for a date is its latest.
  const latest = new Map<string, string>();
  for (const run of runs) if (!latest.has(run.logicalDate)) latest.set(run.logicalDate, run.runId);
  const latestIds = [...latest.values()];
  const [taskInstances, silverWrites, freshness] = await Promise.all([
    store.taskInstances(latestIds),
    store.silverWrites({ runIds: latestIds }),
    store.partitionFreshness(from, to),
  ]);
  return { runs, taskInstances, freshness, silverWrites };
}
