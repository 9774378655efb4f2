import { describe, expect, it } from 'vitest';
import type { IsoDate } from '../../core/dates.ts';
import type { RunRecord, TaskInstanceRecord } from '../../orchestrator/state/state-store.ts';
import { buildRunGrid } from './run-grid.ts';

const NOW = new Date('2025-03-10T06:00:00Z');
const at = (minute: number) => new Date(Date.UTC(2025, 2, 9, 0, minute));

function run(
  id: string,
  date: string,
  state: RunRecord['state'],
  started: number,
  heartbeat = started,
): RunRecord {
  return {
    runId: id,
    dag: 'daily',
    logicalDate: date as IsoDate,
    state,
    trigger: 'manual',
    conf: {},
    startedAt: at(started),
    heartbeatAt: at(heartbeat),
    process: { pid: 1, host: 'etl-1', command: 'fintech-etl run' },
  };
}

function instance(
  runId: string,
  task: string,
  state: TaskInstanceRecord['state'],
  updated: number,
  tries = 1,
) {
  return { runId, task, state, tryNumber: tries, updatedAt: at(updated) } satisfies TaskInstanceRecord;
}

describe('buildRunGrid', () => {
  it('shows each date newest first with its latest run, and counts the runs of a date', () => {
    const grid = buildRunGrid({
      dates: ['2025-03-01', '2025-03-03', '2025-03-02'] as IsoDate[],
      // Newest first, as listRuns returns them: the rerun of 03-01 is its latest.
      runs: [
        run('r3', '2025-03-01', 'success', 30),
        run('r2', '2025-03-02', 'failed', 20),
        run('r1', '2025-03-01', 'failed', 10),
      ],
      instances: [
        instance('r3', 'extract', 'success', 31),
        instance('r3', 'load', 'success', 32, 3),
        instance('r2', 'extract', 'success', 21),
        instance('r2', 'load', 'failed', 22, 2),
      ],
      order: ['extract', 'load'],
      now: NOW,
      heartbeatTimeoutMs: 120_000,
    });
    expect(grid.tasks).toEqual(['extract', 'load']);
    expect(grid.rows.map((row) => [row.date, row.runs, row.run?.run_id, row.run?.state])).toEqual([
      ['2025-03-03', 0, undefined, undefined],
      ['2025-03-02', 1, 'r2', 'failed'],
      ['2025-03-01', 2, 'r3', 'success'],
    ]);
    expect(grid.rows[2]!.cells['load']).toEqual({ state: 'success', tries: 3, reused: false });
    expect(grid.rows[1]!.cells['load']).toEqual({ state: 'failed', tries: 2, reused: false });
  });

  it('infers the task order from the runs when the DAG is not known, new tasks placed after their predecessor', () => {
    const grid = buildRunGrid({
      dates: ['2025-03-01', '2025-03-02'] as IsoDate[],
      runs: [run('b', '2025-03-02', 'success', 20), run('a', '2025-03-01', 'failed', 10)],
      instances: [
        // A failed run: transform failed, publish was marked upstream_failed after it.
        instance('a', 'transform', 'failed', 12),
        instance('a', 'extract', 'success', 11),
        instance('a', 'publish', 'upstream_failed', 13),
        // A later run has a check task between transform and publish.
        instance('b', 'extract', 'success', 21),
        instance('b', 'transform', 'success', 22),
        instance('b', 'check', 'success', 23),
        instance('b', 'publish', 'success', 24),
      ],
      now: NOW,
      heartbeatTimeoutMs: 120_000,
    });
    expect(grid.tasks).toEqual(['extract', 'transform', 'check', 'publish']);
  });

  it('marks an unfinished run whose process stopped sending heartbeats as stale', () => {
    const grid = buildRunGrid({
      dates: ['2025-03-01', '2025-03-02'] as IsoDate[],
      runs: [
        run('live', '2025-03-02', 'running', 10, 24 * 60 + 359),
        run('dead', '2025-03-01', 'running', 5, 6),
      ],
      instances: [],
      now: NOW,
      heartbeatTimeoutMs: 120_000,
    });
    expect(grid.rows.map((row) => [row.run?.run_id, row.run?.stale])).toEqual([
      ['live', false],
      ['dead', true],
    ]);
  });
});
