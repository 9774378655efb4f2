/**
 * Recognises what a killed process left behind: a run still marked running whose driver is gone, and tries
 * still marked running whose process is gone (its pid no longer exists on this host, or its heartbeat is older
 * than the timeout). They are marked failed (`killed`) with a sentence saying why, and a line is appended to
 * the try's log, before anything is retried.
 */
import { PipelineError } from '../../core/errors.ts';
import type { ProcessIdentity, RunRecord, StateStore, TryRecord } from '../state/state-store.ts';
import { EventLog } from './event-log.ts';
import { deadHolderReason, type LivenessCheck } from './process-identity.ts';

/** The run (or the task) is being executed by a live process: exit 1, naming it. */
export class RunInProgressError extends PipelineError {
  override name = 'RunInProgressError';
}

export interface DeadTries {
  /** Tries this call marked failed (killed), as they are now recorded. */
  recovered: TryRecord[];
  /** Tries still running in a live process. */
  alive: TryRecord[];
}

/** Marks the dead running tries of a run (of one task, when given) as killed. */
export async function markDeadTries(
  store: StateStore,
  runId: string,
  check: LivenessCheck,
  by: ProcessIdentity,
  task?: string,
): Promise<DeadTries> {
  const running = (await store.tries(runId, task)).filter((attempt) => attempt.state === 'running');
  const recovered: TryRecord[] = [];
  const alive: TryRecord[] = [];
  for (const attempt of running) {
    const reason = deadHolderReason(attempt.process, attempt.heartbeatAt, check);
    if (!reason) {
      alive.push(attempt);
      continue;
    }
    const error = `killed: ${reason} before try ${attempt.tryNumber} of ${attempt.task} finished`;
    const marked = await store.finishTry(runId, attempt.task, attempt.tryNumber, {
      state: 'failed',
      error,
      failureKind: 'killed',
      finishedAt: check.now,
    });
    // It ended on its own since it was read: its own end stands.
    if (!marked) continue;
    // A try that ran on another machine has its log there: a file at that path here would be a stray.
    if (attempt.process.host === check.localHost) {
      const log = EventLog.open(attempt.logPath, () => check.now);
      log.emit({ kind: 'try-marked-killed', task: attempt.task, tryNumber: attempt.tryNumber, reason, by });
      log.close();
    }
    recovered.push({ ...attempt, state: 'failed', failureKind: 'killed', error, finishedAt: check.now });
  }
  return { recovered, alive };
}

/**
 * Before a process takes over an unfinished run: refuses when its driver or one of its tries is alive;
 * otherwise marks the dead tries killed and the run failed (`killed`), so it can be resumed.
 */
export async function takeOverUnfinishedRun(
  store: StateStore,
  run: RunRecord,
  check: LivenessCheck,
  by: ProcessIdentity,
): Promise<TryRecord[]> {
  if (run.state === 'running') {
    const driverDead = deadHolderReason(run.process, run.heartbeatAt, check);
    if (!driverDead) {
      throw new RunInProgressError(
        `a run of ${run.dag} for ${run.logicalDate} is in progress: process ${run.process.pid} on ` +
          `${run.process.host} (${run.process.command}), started ${run.startedAt.toISOString()}`,
      );
    }
  }
  const { recovered, alive } = await markDeadTries(store, run.runId, check, by);
  if (alive.length) {
    const attempt = alive[0]!;
    throw new RunInProgressError(
      `task ${attempt.task} of ${run.dag} for ${run.logicalDate} is running: process ${attempt.process.pid} on ` +
        `${attempt.process.host} (${attempt.process.command}), started ${attempt.startedAt.toISOString()}`,
    );
  }
  if (run.state === 'running') {
    const during = recovered.length
      ? ` during task ${recovered.map((attempt) => attempt.task).join(', ')}`
      : '';
    await store.updateRun(run.runId, {
      state: 'failed',
      failureKind: 'killed',
      error: `the process running it (${run.process.pid} on ${run.process.host}) died${during}`,
      finishedAt: check.now,
    });
  }
  return recovered;
}
