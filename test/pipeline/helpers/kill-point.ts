/**
 * Kill points chosen from the pipeline's own events, never from sleeps: an event sink that SIGKILLs its own
 * process the moment the event of the point is emitted (events are emitted synchronously, after the statement
 * or task they report has finished).
 */
import type { EventSink, PipelineEvent } from '../../../src/core/pipeline-event.ts';

export type KillPoint =
  /** Right after a task of the daily run finished (silver: its lake commit is done). */
  | { kind: 'after-task'; task: string }
  /**
   * Right after the commit of the `nth` (default 1st) warehouse transaction that wrote to `relation`
   * (`schema.name`): an INSERT INTO, DELETE FROM, UPDATE or TRUNCATE of it; a write outside a transaction kills
   * right after it.
   */
  | { kind: 'after-commit-writing'; relation: string; nth?: number };

export function describeKillPoint(point: KillPoint): string {
  return point.kind === 'after-task'
    ? `after task ${point.task}`
    : `after the commit writing ${point.relation}${point.nth && point.nth > 1 ? ` (#${point.nth})` : ''}`;
}

/** Whether a statement (as a statement-timed event shows it) writes to `relation`. */
export function writesTo(sql: string, relation: string): boolean {
  const [schema, name] = relation.split('.') as [string, string];
  const quoted = `"${schema}"\\."${name}"`;
  return new RegExp(`(insert into|delete from|update|truncate table) ${quoted}(\\s|\\(|$)`, 'i').test(sql);
}

/** A sink that SIGKILLs this process at `point`. */
export function killingSink(point: KillPoint): EventSink {
  let inTransaction = false;
  let wroteInTransaction = false;
  let commits = 0;
  const die = () => process.kill(process.pid, 'SIGKILL');
  return {
    emit(event: PipelineEvent) {
      if (point.kind === 'after-task') {
        if (event.kind === 'task-finished' && event.task === point.task) die();
        return;
      }
      if (event.kind !== 'statement-timed' || !event.ok) return;
      const sql = event.sql.toLowerCase();
      if (sql === 'begin' || sql === 'begin transaction') {
        inTransaction = true;
        wroteInTransaction = false;
      } else if (sql === 'commit' || sql === 'rollback') {
        const counts = sql === 'commit' && wroteInTransaction;
        inTransaction = false;
        wroteInTransaction = false;
        if (counts && ++commits === (point.nth ?? 1)) die();
      } else if (writesTo(event.sql, point.relation)) {
        if (inTransaction) wroteInTransaction = true;
        else if (++commits === (point.nth ?? 1)) die();
      }
    },
  };
}
