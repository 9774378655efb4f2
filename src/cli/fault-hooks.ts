/**
 * Fault injection for tests of the real binary, off unless its environment variables are set. They make a run
 * fail or die at an exact point of its work, chosen by what it reports (its events), never by timing:
 *
 * - `FINTECH_ETL_FAIL_TASK=load:2` — the first 2 tries of task `load` fail (`injected failure …`) as they start.
 * - `FINTECH_ETL_KILL_AT=[<task>/]<kind>[:<field>~<text>][#<n>]` — the process SIGKILLs itself at the n-th
 *   (default 1st) event of that kind whose field contains the text (while that task runs, when one is named),
 *   after the event is in the try's log. For example `task-started:task~models`,
 *   `models/statement-timed:sql~agg_customer_daily#2`, `silver/step-timed:step~commit`.
 *   `silver-commit-point` kills right after silver's commit point (committed, no table written yet);
 *   `silver-upload#<n>` as silver's commit is about to upload its n-th object (the objects before it uploaded or
 *   in flight, nothing committed).
 * - `FINTECH_ETL_PAUSE_TASK=<task>:<try>:<file>` — try <try> of <task>, recorded running and sending heartbeats,
 *   writes its pid to <file> as its work starts and waits until the test deletes the file (its event loop free):
 *   the test acts on the process at that exact point (cuts its network) without killing it.
 */

import { existsSync, writeFileSync } from 'node:fs';
import type { FaultHooks } from '../../pipeline/dag/daily-resources.ts';
import { UsageError } from '../core/errors.ts';
import type { TaskEvent, TaskEventSink } from '../orchestrator/definitions/task-event.ts';

export const FAIL_TASK_SWITCH = 'FINTECH_ETL_FAIL_TASK';
export const KILL_AT_SWITCH = 'FINTECH_ETL_KILL_AT';
export const PAUSE_TASK_SWITCH = 'FINTECH_ETL_PAUSE_TASK';
const SILVER_UPLOAD = /^silver-upload(?:#(\d+))?$/;

export class InjectedFailure extends Error {
  override name = 'InjectedFailure';
}

export function faultHooksFromEnvironment(env: NodeJS.ProcessEnv = process.env): FaultHooks {
  const hooks: FaultHooks = {};
  const failTask = env[FAIL_TASK_SWITCH];
  if (failTask) {
    const [, task, times] = /^([a-z][a-z0-9_]*):(\d+)$/.exec(failTask) ?? [];
    if (!task) throw new UsageError(`${FAIL_TASK_SWITCH} '${failTask}' is not TASK:TIMES (e.g. load:2)`);
    hooks.beforeTask = (name, tryNumber) => {
      if (name === task && tryNumber <= Number(times)) {
        throw new InjectedFailure(`injected failure (${FAIL_TASK_SWITCH}) in try ${tryNumber} of ${name}`);
      }
    };
  }
  const pauseTask = env[PAUSE_TASK_SWITCH];
  if (pauseTask) {
    const [, task, tryNumber, file] = /^([a-z][a-z0-9_]*):(\d+):(.+)$/.exec(pauseTask) ?? [];
    if (!task) throw new UsageError(`${PAUSE_TASK_SWITCH} '${pauseTask}' is not TASK:TRY:FILE`);
    const failFirst = hooks.beforeTask;
    hooks.beforeTask = async (name, attempt) => {
      failFirst?.(name, attempt);
      if (name !== task || attempt !== Number(tryNumber)) return;
      writeFileSync(file!, String(process.pid));
      while (existsSync(file!)) await new Promise((resolve) => setTimeout(resolve, 50));
    };
  }
  const killAt = env[KILL_AT_SWITCH];
  if (killAt === 'silver-commit-point') {
    hooks.silverCommit = { afterCommitPoint: killNow };
  }
  const upload = killAt === undefined ? undefined : SILVER_UPLOAD.exec(killAt);
  if (upload) {
    const nth = Number(upload[1] ?? 1);
    hooks.silverCommit = {
      beforeUpload: (index) => {
        if (index + 1 === nth) killNow();
      },
    };
  }
  return hooks;
}

/** Wraps the sink every event of a run passes through; with `FINTECH_ETL_KILL_AT` set, dies at its event. */
export function killAtEvent(sink: TaskEventSink, env: NodeJS.ProcessEnv = process.env): TaskEventSink {
  const spec = env[KILL_AT_SWITCH];
  if (!spec || spec === 'silver-commit-point' || SILVER_UPLOAD.test(spec)) return sink;
  const [, task, kind, field, text, nth] =
    /^(?:([a-z][a-z0-9_]*)\/)?([a-z-]+)(?::([a-zA-Z]+)~([^#]*))?(?:#(\d+))?$/.exec(spec) ?? [];
  if (!kind) throw new UsageError(`${KILL_AT_SWITCH} '${spec}' is not [TASK/]KIND[:FIELD~TEXT][#N]`);
  let seen = 0;
  let running: unknown;
  return {
    emit: <E extends TaskEvent>(event: E) => {
      sink.emit(event);
      if (event.kind === 'task-started') running = (event as unknown as { task?: unknown }).task;
      if (event.kind !== kind || (task !== undefined && running !== task)) return;
      if (field !== undefined) {
        const value = (event as unknown as Record<string, unknown>)[field];
        if (typeof value !== 'string' || !value.includes(text!)) return;
      }
      seen += 1;
      if (seen === Number(nth ?? 1)) killNow();
    },
  };
}

function killNow(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL is delivered before the next instruction runs; this only satisfies the type.
  throw new Error('unreachable');
}
