/**
 * How the CLI shows pipeline events on stderr: notices and warnings always (`fintech-etl: …`), timings only with
 * the environment switch `FINTECH_ETL_PROFILE=1` (each task, each silver step and load phase, each warehouse
 * statement), for tuning. Standard output stays the command's own (tables, `--json`).
 *
 * @example
 *   const events = renderEvents(process.env, (line) => process.stderr.write(line));
 *   events.emit({ kind: 'notice', message: 'hello' }); // stderr: "fintech-etl: hello"
 */
import type { EventSink, PipelineEvent } from '../core/pipeline-event.ts';

export const PROFILE_SWITCH = 'FINTECH_ETL_PROFILE';

export function renderEvents(
  env: NodeJS.ProcessEnv = process.env,
  write: (text: string) => void = (text) => process.stderr.write(text),
): EventSink {
  const profile = Boolean(env[PROFILE_SWITCH]);
  return {
    emit: (event) => {
      const line = renderEvent(event, profile);
      if (line !== undefined) write(`${line}\n`);
    },
  };
}

/** The stderr line of one event, or undefined when it is not shown. */
export function renderEvent(event: PipelineEvent, profile: boolean): string | undefined {
  const seconds = (value: number) => `${value.toFixed(2)} s`;
  switch (event.kind) {
    case 'notice':
      return `fintech-etl: ${event.message}`;
    case 'warning':
      return `fintech-etl: warning: ${event.message}`;
    case 'task-started':
      return profile ? `task ${event.task}: started` : undefined;
    case 'task-finished':
      return profile
        ? `task ${event.task}: ${event.status} ${seconds(event.seconds)}, cpu ${seconds(event.cpuSeconds)}`
        : undefined;
    case 'step-timed':
      return profile
        ? `${event.scope}: ${event.step} ${seconds(event.seconds)}, cpu ${seconds(event.cpuSeconds)}` +
            (event.detail ? ` (${event.detail})` : '')
        : undefined;
    case 'statement-timed':
      return profile ? `sql ${event.seconds.toFixed(3).padStart(7)} s  ${event.sql}` : undefined;
    case 'check-failed':
      // The run's summary lists failed checks with their samples; the event is for the task's log.
      return undefined;
  }
}
