/**
 * Which tasks of a run execute and which reuse their recorded output: the decision behind resume, `--force`,
 * `--from-task` and `fintech-etl task`, as a pure function of the DAG and the run's task instances.
 */
import { PipelineError } from '../../core/errors.ts';
import { type Dag, downstreamOf, upstreamOf } from '../definitions/dag.ts';
import type { TaskInstanceRecord } from '../state/state-store.ts';

export interface RunMode {
  /** Run every task again. */
  force?: boolean;
  /** Run this task and everything downstream of it again (and any task that has not succeeded). */
  fromTask?: string;
  /** Run only this task (its dependencies must have succeeded): `fintech-etl task TASK --date D`. */
  onlyTask?: string;
}

export interface TaskSelection {
  /** Tasks to execute, in DAG order. */
  run: string[];
  /** Tasks whose recorded output is reused, in DAG order. */
  reuse: string[];
}

export function selectTasks(
  dag: Dag,
  instances: ReadonlyMap<string, TaskInstanceRecord>,
  mode: RunMode,
  logicalDate: string,
): TaskSelection {
  const succeeded = (task: string) => instances.get(task)?.state === 'success';
  if (mode.onlyTask !== undefined) {
    const upstream = upstreamOf(dag, mode.onlyTask);
    const missing = dag.task(mode.onlyTask).dependencies.filter((task) => !succeeded(task));
    if (missing.length) {
      const states = missing.map((task) => `${task} (${instances.get(task)?.state ?? 'not run'})`).join(', ');
      throw new PipelineError(
        `task ${mode.onlyTask} cannot run for ${logicalDate}: its dependencies have not succeeded: ${states}`,
      );
    }
    return { run: [mode.onlyTask], reuse: upstream };
  }
  if (mode.force) return { run: [...dag.order], reuse: [] };
  const again = new Set(mode.fromTask !== undefined ? downstreamOf(dag, mode.fromTask) : []);
  const run = dag.order.filter((task) => again.has(task) || !succeeded(task));
  return { run, reuse: dag.order.filter((task) => !run.includes(task)) };
}
