import { describe, expect, it } from 'vitest';
import { renderEvents } from './render-events.ts';

const statement = (sql: string) => ({
  kind: 'statement-timed' as const,
  engine: 'duckdb',
  seconds: 0.3124,
  sql,
  ok: true,
});

describe('renderEvents', () => {
  it('prints notices and warnings on stderr, timings only with FINTECH_ETL_PROFILE', () => {
    const lines: string[] = [];
    const events = renderEvents({}, (line) => lines.push(line));
    events.emit({ kind: 'notice', message: 'created a new tokenization key' });
    events.emit({ kind: 'warning', message: 'autovacuum is off' });
    events.emit(statement('select 1'));
    events.emit({ kind: 'step-timed', scope: 'silver', step: 'write-silver', seconds: 1, cpuSeconds: 2 });
    events.emit({ kind: 'task-started', task: 'silver' });
    expect(lines).toEqual([
      'fintech-etl: created a new tokenization key\n',
      'fintech-etl: warning: autovacuum is off\n',
    ]);
  });

  it('prints each statement with its seconds, each step and task with wall and CPU seconds (FINTECH_ETL_PROFILE=1)', () => {
    const lines: string[] = [];
    const events = renderEvents({ FINTECH_ETL_PROFILE: '1' }, (line) => lines.push(line));
    events.emit(statement('create table t as select 1 from postgres://etl:***@db/x'));
    events.emit(statement('select boom'));
    events.emit({
      kind: 'step-timed',
      scope: 'silver',
      step: 'write-silver',
      seconds: 1.234,
      cpuSeconds: 2.5,
      detail: '3 partitions rewritten',
    });
    events.emit({ kind: 'task-finished', task: 'load', status: 'success', seconds: 0.5, cpuSeconds: 0.25 });
    expect(lines[0]).toMatch(
      /^sql +\d+\.\d{3} s {2}create table t as select 1 from postgres:\/\/etl:\*\*\*@db\/x\n$/,
    );
    expect(lines[1]).toMatch(/ s {2}select boom\n$/);
    expect(lines[2]).toBe('silver: write-silver 1.23 s, cpu 2.50 s (3 partitions rewritten)\n');
    expect(lines[3]).toBe('task load: success 0.50 s, cpu 0.25 s\n');
  });
});
