/**
 * What the pipeline reports while it works, as plain serializable values: the one channel for timings,
 * notices and warnings. Code that does work receives an {@link EventSink} and emits to it as things happen;
 * the CLI renders events on stderr (src/cli/render-events.ts), and a run log can write each one as a JSON line.
 * Nothing here measures or prints: see stopwatch.ts for the clock readings events carry.
 *
 * @example
 *   events.emit({ kind: 'notice', message: 'created a new tokenization key in …' });
 *   events.emit({ kind: 'step-timed', scope: 'silver', step: 'write-silver', seconds: 1.62, cpuSeconds: 3.1 });
 */

/** A task of the daily DAG began (`task` is its name: silver, load, models, tests, gold). */
export interface TaskStartedEvent {
  kind: 'task-started';
  task: string;
}

/** A task ended; `seconds` is wall time, `cpuSeconds` the process CPU (every thread) it used. */
export interface TaskFinishedEvent {
  kind: 'task-finished';
  task: string;
  status: 'success' | 'failed';
  seconds: number;
  cpuSeconds: number;
}

/** One step inside a task (a silver SQL file, a load phase): what tuning reads. */
export interface StepTimedEvent {
  kind: 'step-timed';
  /** The part of the pipeline the step belongs to (`silver`, `load`). */
  scope: string;
  step: string;
  seconds: number;
  cpuSeconds: number;
  /** A measured detail of the step (memory held, partitions rewritten), when it has one. */
  detail?: string;
}

/** One warehouse statement (commits included), with its text already redacted and whitespace folded. */
export interface StatementTimedEvent {
  kind: 'statement-timed';
  /** The warehouse engine (`duckdb`, `postgres`, `redshift`). */
  engine: string;
  seconds: number;
  sql: string;
  /** False when the statement failed (its time still counts). */
  ok: boolean;
}

/** Something the user should know that is not a failure (a created key, a recovered commit). */
export interface NoticeEvent {
  kind: 'notice';
  message: string;
}

/** Something that may need the user's attention; the run goes on. */
export interface WarningEvent {
  kind: 'warning';
  message: string;
}

/**
 * A model test or a quality expectation did not pass: what it checks, what it found, the SQL that selects the
 * offending rows (when it has one) and a sample of them. A task's log keeps these, so the run's failure report
 * can show them after the process is gone.
 */
export interface CheckFailedEvent {
  kind: 'check-failed';
  check: 'test' | 'quality';
  /** The test's name, or `<suite>.<expectation id>` (with the partition judged, for per-partition ones). */
  name: string;
  /** The model a test belongs to, or the dataset and partition an expectation judged. */
  target?: string;
  severity: 'error' | 'warn';
  /** fail: offending rows or values found; warn: found, at severity warn; error: the check could not run. */
  status: 'fail' | 'warn' | 'error';
  /** Offending rows (or values); null when the check measures an aggregate (a mean, a row count). */
  failures: number | null;
  /** One sentence: what was found against what is allowed, or the database's error. */
  details: string;
  sql?: string;
  /** At most 20 offending rows or values (silver and marts hold no PAN; quarantine records are masked). */
  sample: Record<string, unknown>[];
}

export type PipelineEvent =
  | TaskStartedEvent
  | TaskFinishedEvent
  | StepTimedEvent
  | StatementTimedEvent
  | NoticeEvent
  | WarningEvent
  | CheckFailedEvent;

/**
 * Where events go. `emit` is called synchronously at the moment the event happens and must not throw; a sink
 * that writes to a file or a stream does so itself.
 */
export interface EventSink {
  emit(event: PipelineEvent): void;
}

/** The default sink: drops every event (library calls and tests that do not listen). */
export const NO_EVENTS: EventSink = { emit: () => undefined };

/** A sink that hands each event to every given sink in turn. */
export function fanOut(...sinks: EventSink[]): EventSink {
  return {
    emit: (event) => {
      for (const sink of sinks) sink.emit(event);
    },
  };
}

/** A sink that keeps every event in memory, in order (tests, benchmarks). */
export function collectEvents(): EventSink & { events: PipelineEvent[] } {
  const events: PipelineEvent[] = [];
  return { events, emit: (event) => events.push(event) };
}
