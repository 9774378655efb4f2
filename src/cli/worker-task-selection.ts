/**
 * `worker --tasks a,b,silver_check_*`: the tasks a worker takes, by name or by a name ending in `*` (every task
 * starting with what comes before it: `silver_check_*` takes however many check tasks `silver.check_jobs` makes).
 * A name or pattern matching no task of a registered DAG is refused, naming the tasks there are.
 */
import { UsageError } from '../core/errors.ts';
import type { Dag } from '../orchestrator/definitions/dag.ts';

export function selectWorkerTasks(option: string | undefined, dags: readonly Dag[]): string[] | undefined {
  if (option === undefined) return undefined;
  const known = [...new Set(dags.flatMap((dag) => dag.order))];
  const patterns = option
    .split(',')
    .map((task) => task.trim())
    .filter(Boolean);
  const matches = (pattern: string) =>
    pattern.endsWith('*')
      ? known.filter((task) => task.startsWith(pattern.slice(0, -1)))
      : known.filter((task) => task === pattern);
  const unknown = patterns.filter((pattern) => matches(pattern).length === 0);
  if (patterns.length === 0 || unknown.length) {
    throw new UsageError(
      `--tasks '${option}': ${patterns.length === 0 ? 'names no task' : `no registered DAG has task ${unknown.join(', ')}`} ` +
        `(tasks: ${known.join(', ')})`,
    );
  }
  return [...new Set(patterns.flatMap(matches))];
}
