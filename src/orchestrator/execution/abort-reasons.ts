/**
 * Why a try's AbortSignal fired (`context.signal.reason`): a task that wants to clean up differently for a
 * timeout and for a stop can tell them apart.
 */
export class TaskTimeoutError extends Error {
  override name = 'TaskTimeoutError';
  constructor(
    readonly task: string,
    readonly timeoutSeconds: number,
  ) {
    super(`task ${task} timed out after ${timeoutSeconds} s`);
  }
}

export class TaskStoppedError extends Error {
  override name = 'TaskStoppedError';
  constructor(readonly task: string) {
    super(`task ${task} was abandoned: the process was asked to stop`);
  }
}
