/**
 * The DuckDB connection a silver run works on, with every step it runs reported as a `step-timed` event (scope
 * `silver`): each SQL file of src/silver/sql by name, and the Node-side steps (a bronze file's read, the partition
 * rewrites, the commit) timed with {@link SilverSession.timed}. What tuning reads, through one event sink.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { EventSink } from '../core/pipeline-event.ts';
import { startStopwatch } from '../core/stopwatch.ts';
import { renderSql, type SqlParam } from './sql-template.ts';

export class SilverSession {
  /**
   * `signal`: no step starts once it aborted (a statement running then is interrupted by the database:
   * silver-database.ts); the step fails with its reason.
   */
  constructor(
    readonly db: DuckDBConnection,
    readonly events: EventSink,
    readonly signal?: AbortSignal,
  ) {}

  /** Runs `sql/<name>.sql` with its placeholders filled, as a step of that name. */
  run(name: string, params: Record<string, SqlParam> = {}): Promise<void> {
    return this.timed(name, async () => {
      await this.db.run(renderSql(name, params));
    });
  }

  /** The rows of a query as plain JavaScript objects. */
  async rows<T>(sql: string): Promise<T[]> {
    this.signal?.throwIfAborted();
    return (await this.db.runAndReadAll(sql)).getRowObjectsJS() as T[];
  }

  /** Runs `work` as a step named `step`; `detail` describes its outcome in the event. */
  async timed<T>(step: string, work: () => Promise<T>, detail?: (result: T) => string): Promise<T> {
    this.signal?.throwIfAborted();
    const watch = startStopwatch();
    const result = await work();
    this.events.emit({
      kind: 'step-timed',
      scope: 'silver',
      step,
      ...watch.read(),
      ...(detail ? { detail: detail(result) } : {}),
    });
    return result;
  }
}
