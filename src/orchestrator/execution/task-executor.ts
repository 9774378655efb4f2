/**
 * Where a try runs: the seam between `runDag`'s decisions (what runs, in which order, how often it is retried)
 * and the place the work happens. The local executor runs the try in this process (run-task.ts); the queue
 * executor (queue/queue-executor.ts) hands it to a worker process through BullMQ and reads its outcome back
 * from the state store. Either way the try is recorded by the process that runs it, through `runTry`.
 *
 * @example
 *   await runDag({ dag, store, logicalDate, logsDir, executor: queueExecutor(taskQueue) });
 */
import type { JsonValue } from '../definitions/json-value.ts';
import type { AnyTask, TaskInput } from '../definitions/task-definition.ts';
import type { TryFailureKind } from '../state/state-store.ts';
import type { TaskRunnerSettings } from './run-task.ts';

export type TryResult =
  | { ok: true; output: JsonValue }
  | { ok: false; error: string; failureKind: TryFailureKind; retryable: boolean; logPath: string }
  /** Stopped before any process started the try (it was still waiting in the queue). */
  | { ok: false; notStarted: true };

export interface TaskExecutor {
  readonly kind: 'local' | 'queue';
  /** Runs try `tryNumber` of `task` to its end and says how it ended. */
  runTry(
    settings: TaskRunnerSettings,
    task: AnyTask,
    input: TaskInput,
    tryNumber: number,
  ): Promise<TryResult>;
}
