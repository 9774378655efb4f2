/**
 * Applies `orchestrator.tasks.<name>` from the config over a DAG's declared retry policies and timeouts, so an
 * operator tunes retries for their warehouse without touching the DAG's code. A name the DAG does not have is
 * a config error naming the key.
 */
import type { TaskOverride } from '../../config/config-schema.ts';
import { type Dag, defineDag } from './dag.ts';
import { retryPolicyProblem } from './retry-policy.ts';
import { type AnyTask, DagDefinitionError } from './task-definition.ts';

export function withTaskOverrides(
  dag: Dag,
  overrides: Record<string, TaskOverride>,
  keyPrefix = 'orchestrator.tasks',
): Dag {
  for (const name of Object.keys(overrides)) {
    if (!dag.order.includes(name)) {
      throw new DagDefinitionError(
        `config key '${keyPrefix}.${name}': DAG ${dag.name} has no task '${name}' (tasks: ${dag.order.join(', ')})`,
      );
    }
  }
  const tasks = dag.tasks.map((task): AnyTask => {
    const override = overrides[task.name];
    if (!override) return task;
    const retry = {
      retries: override.retries ?? task.retry.retries,
      retryDelay: override.retry_delay ?? task.retry.retryDelay,
      backoff: override.backoff ?? task.retry.backoff,
      maxRetryDelay: override.max_retry_delay ?? task.retry.maxRetryDelay,
      jitter: override.jitter ?? task.retry.jitter,
    };
    const problem = retryPolicyProblem(retry);
    if (problem) throw new DagDefinitionError(`config key '${keyPrefix}.${task.name}': ${problem}`);
    return { ...task, retry, timeoutSeconds: override.timeout ?? task.timeoutSeconds };
  });
  return defineDag({
    name: dag.name,
    description: dag.description,
    tasks,
    maxActiveTasks: dag.maxActiveTasks,
  });
}
