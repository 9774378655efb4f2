/**
 * A DAG as a declared value: a name and its tasks, checked once when declared (unknown dependency, cycle,
 * duplicate name) so execution, the planner and the Airflow export can trust it.
 *
 * @example
 *   const dag = defineDag({ name: 'daily_batch_etl', tasks: [silver, load, models] });
 *   dag.order; // ['silver', 'load', 'models']: dependencies first, declaration order otherwise
 */
import { type AnyTask, DagDefinitionError } from './task-definition.ts';

export interface Dag {
  readonly name: string;
  readonly description: string | undefined;
  /** Every task, dependencies before dependents (declaration order among independent tasks). */
  readonly tasks: readonly AnyTask[];
  /** Task names in the same order. */
  readonly order: readonly string[];
  /** How many tasks of one run may run at once (independent branches); 1 runs them one by one. */
  readonly maxActiveTasks: number;
  task(name: string): AnyTask;
}

export interface DagSpec {
  name: string;
  description?: string;
  tasks: readonly AnyTask[];
  maxActiveTasks?: number;
}

const DAG_NAME = /^[a-z][a-z0-9_]{0,62}$/;

export function defineDag(spec: DagSpec): Dag {
  if (!DAG_NAME.test(spec.name)) {
    throw new DagDefinitionError(
      `DAG name '${spec.name}' is not valid: use lower-case letters, digits and _`,
    );
  }
  const byName = new Map<string, AnyTask>();
  for (const task of spec.tasks) {
    if (byName.has(task.name))
      throw new DagDefinitionError(`DAG ${spec.name}: task '${task.name}' is declared twice`);
    byName.set(task.name, task);
  }
  if (byName.size === 0) throw new DagDefinitionError(`DAG ${spec.name} has no tasks`);
  for (const task of spec.tasks) {
    for (const dependency of task.dependencies) {
      if (!byName.has(dependency)) {
        throw new DagDefinitionError(
          `DAG ${spec.name}: task '${task.name}' depends on '${dependency}', which is not a task of this DAG ` +
            `(tasks: ${[...byName.keys()].join(', ')})`,
        );
      }
    }
  }
  const maxActiveTasks = spec.maxActiveTasks ?? 1;
  if (!Number.isInteger(maxActiveTasks) || maxActiveTasks < 1) {
    throw new DagDefinitionError(`DAG ${spec.name}: maxActiveTasks must be a whole number ≥ 1`);
  }
  const order = topologicalOrder(spec.name, spec.tasks);
  return {
    name: spec.name,
    description: spec.description,
    tasks: order.map((name) => byName.get(name)!),
    order,
    maxActiveTasks,
    task: (name) => {
      const task = byName.get(name);
      if (!task) {
        throw new DagDefinitionError(`DAG ${spec.name} has no task '${name}' (tasks: ${order.join(', ')})`);
      }
      return task;
    },
  };
}

/** Dependencies first; among tasks free to run, the one declared first. */
function topologicalOrder(dagName: string, tasks: readonly AnyTask[]): string[] {
  refuseCycles(dagName, tasks);
  const placed = new Set<string>();
  const order: string[] = [];
  while (order.length < tasks.length) {
    const next = tasks.find(
      (task) => !placed.has(task.name) && task.dependencies.every((dependency) => placed.has(dependency)),
    )!;
    placed.add(next.name);
    order.push(next.name);
  }
  return order;
}

/** Depth-first, so a cycle is reported as the path that closes it: `a → b → c → a`. */
function refuseCycles(dagName: string, tasks: readonly AnyTask[]): void {
  const byName = new Map(tasks.map((task) => [task.name, task]));
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (name: string) => {
    if (done.has(name)) return;
    const onPath = path.indexOf(name);
    if (onPath >= 0) {
      const cycle = [...path.slice(onPath), name].join(' → ');
      throw new DagDefinitionError(`DAG ${dagName} has a dependency cycle: ${cycle}`);
    }
    path.push(name);
    for (const dependency of byName.get(name)!.dependencies) visit(dependency);
    path.pop();
    done.add(name);
  };
  for (const task of tasks) visit(task.name);
}

/** `name` and every task that depends on it, directly or not, in DAG order. */
export function downstreamOf(dag: Dag, name: string): string[] {
  dag.task(name);
  const reached = new Set([name]);
  for (const task of dag.tasks) {
    if (task.dependencies.some((dependency) => reached.has(dependency))) reached.add(task.name);
  }
  return dag.order.filter((task) => reached.has(task));
}

/** Every task `name` depends on, directly or not, in DAG order (without `name`). */
export function upstreamOf(dag: Dag, name: string): string[] {
  const reached = new Set<string>();
  const visit = (task: string) => {
    for (const dependency of dag.task(task).dependencies) {
      if (!reached.has(dependency)) {
        reached.add(dependency);
        visit(dependency);
      }
    }
  };
  visit(name);
  return dag.order.filter((task) => reached.has(task));
}
