/**
 * A task as a declared value: its name, the tasks it depends on, how it is retried, how long it may take, and
 * a function from a JSON input (the logical date, the run's parameters, the recorded outputs of its
 * dependencies) to a JSON output. Nothing here runs anything: src/orchestrator/execution does.
 *
 * @example
 *   const silver = defineTask({
 *     name: 'silver',
 *     retry: { retries: 2, retryDelay: 30, backoff: 'exponential' },
 *     timeoutSeconds: 3600,
 *     run: async ({ logicalDate }, { signal, events }) => ({ touchedEventDates: [logicalDate] }),
 *   });
 *   const load = defineTask({
 *     name: 'load',
 *     dependsOn: [silver],
 *     run: async ({ upstream }) => ({ rows: upstream.silver.touchedEventDates.length }),
 *   });
 */

import type { IsoDate } from '../../core/dates.ts';
import { ConfigError } from '../../core/errors.ts';
import type { JsonObject } from './json-value.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, retryPolicyProblem } from './retry-policy.ts';
import type { TaskEventSink } from './task-event.ts';

/** What a task function receives: JSON only, so the same input can be rebuilt by another process. */
export interface TaskInput<Upstream = Record<string, unknown>> {
  dag: string;
  logicalDate: IsoDate;
  runId: string;
  /** The run's parameters, as recorded when the run was created (a resumed run gets the same ones). */
  conf: JsonObject;
  /**
   * The recorded output of each dependency, by task name. Always the JSON read back from the state store,
   * also within one process, so a task sees the same input in a first run and in a resumed one.
   */
  upstream: Upstream;
}

/** What the executor hands a running try besides its input. */
export interface TaskContext {
  task: string;
  /** 1 for the first try of the task in its run; a resumed run continues the count. */
  tryNumber: number;
  /**
   * Aborted at the task's timeout or when the process is asked to stop (its `reason` says which). Pass it to
   * every interruptible call (DuckDB interrupt, a cancelled PostgreSQL query, fetch); a try still running at
   * its deadline is recorded as failed whether or not it stops.
   */
  signal: AbortSignal;
  /** Writes each event as a JSON line to this try's log the moment it is emitted. */
  events: TaskEventSink;
  /** Absolute path of this try's log (JSON lines). */
  logPath: string;
}

/** Error raised when a DAG or task declaration (or a config override of one) is invalid: exit code 2. */
export class DagDefinitionError extends ConfigError {
  override name = 'DagDefinitionError';
}

export interface TaskDefinition<
  Name extends string = string,
  Output = unknown,
  Upstream = Record<string, unknown>,
> {
  readonly name: Name;
  readonly description: string | undefined;
  /** Names of the tasks whose outputs this one needs; it runs after all of them succeeded. */
  readonly dependencies: readonly string[];
  readonly retry: RetryPolicy;
  /** Seconds a try may run before it is aborted and marked failed; undefined = no limit. */
  readonly timeoutSeconds: number | undefined;
  /**
   * It reads only its own date's input and publishes nothing shared, so a backfill runs it while earlier dates'
   * runs are still in flight; every other task of a date waits for the previous date's run (date-order.ts).
   */
  readonly independentOfOtherDates: boolean;
  run(input: TaskInput<Upstream>, context: TaskContext): Promise<Output>;
}

// biome-ignore lint/suspicious/noExplicitAny: the input position must accept every upstream shape.
export type AnyTask = TaskDefinition<string, unknown, any>;

type OutputOf<T> = T extends TaskDefinition<string, infer Output, infer _Upstream> ? Output : never;

/** A dependency declared as a task value gives its output type; one declared by name gives `unknown`. */
export type UpstreamOf<Dependencies extends readonly (AnyTask | string)[]> = {
  [D in Dependencies[number] as D extends AnyTask ? D['name'] : D & string]: D extends AnyTask
    ? OutputOf<D>
    : unknown;
};

export interface TaskSpec<Name extends string, Dependencies extends readonly (AnyTask | string)[], Output> {
  name: Name;
  description?: string;
  dependsOn?: Dependencies;
  retry?: Partial<RetryPolicy>;
  timeoutSeconds?: number;
  /** Default false: see {@link TaskDefinition.independentOfOtherDates}. */
  independentOfOtherDates?: boolean;
  /**
   * The work. Its output must be JSON (checked when it returns: a Date or bigint fails the try with the path
   * of the offending value); it is recorded, so a resumed run reuses it instead of running the task again.
   */
  run(input: TaskInput<UpstreamOf<Dependencies>>, context: TaskContext): Promise<Output>;
}

const TASK_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** Checks a task declaration and fills in the default retry policy. */
export function defineTask<
  const Name extends string,
  const Dependencies extends readonly (AnyTask | string)[] = [],
  Output = void,
>(spec: TaskSpec<Name, Dependencies, Output>): TaskDefinition<Name, Output, UpstreamOf<Dependencies>> {
  if (!TASK_NAME.test(spec.name)) {
    throw new DagDefinitionError(
      `task name '${spec.name}' is not valid: use lower-case letters, digits and _ (it names log folders and Airflow tasks)`,
    );
  }
  const retry = { ...DEFAULT_RETRY_POLICY, ...spec.retry };
  const problem = retryPolicyProblem(retry);
  if (problem) throw new DagDefinitionError(`task '${spec.name}': ${problem}`);
  if (spec.timeoutSeconds !== undefined && !(spec.timeoutSeconds > 0)) {
    throw new DagDefinitionError(`task '${spec.name}': timeout must be more than 0 seconds`);
  }
  const dependencies = (spec.dependsOn ?? []).map((dependency) =>
    typeof dependency === 'string' ? dependency : dependency.name,
  );
  return {
    name: spec.name,
    description: spec.description,
    dependencies,
    retry,
    timeoutSeconds: spec.timeoutSeconds,
    independentOfOtherDates: spec.independentOfOtherDates ?? false,
    run: spec.run,
  };
}
