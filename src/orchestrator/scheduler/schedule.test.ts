import { describe, expect, it } from 'vitest';
import type { IsoDate } from '../../core/dates.ts';
import type { RunRecord } from '../state/state-store.ts';
import { closedLogicalDates, dateInZone, dateRunStatus, dueDates, type ScheduleSpec } from './schedule.ts';

const DAILY: ScheduleSpec = {
  schedule: '0 6 * * *',
  timezone: 'Asia/Seoul',
  catchup: true,
  maxActiveRuns: 1,
};
const seoul = (local: string) => new Date(`${local}+09:00`);
const d = (text: string) => text as IsoDate;

function run(date: string, state: RunRecord['state'], extra: Partial<RunRecord> = {}): RunRecord {
  return {
    runId: `run-${date}`,
    dag: 'daily',
    logicalDate: d(date),
    state,
    trigger: 'scheduler',
    conf: {},
    startedAt: seoul(`${date}T23:00:00`),
    heartbeatAt: seoul(`${date}T23:00:00`),
    process: { pid: 1, host: 'h', command: 'c' },
    ...extra,
  };
}

describe('closedLogicalDates', () => {
  it('gives the date of the interval each tick closes: the 06:00 run of 2 March processes 1 March', () => {
    expect(closedLogicalDates(DAILY, seoul('2025-03-05T06:30:00'), d('2025-03-01'))).toEqual([
      '2025-03-01',
      '2025-03-02',
      '2025-03-03',
      '2025-03-04',
    ]);
    expect(closedLogicalDates(DAILY, seoul('2025-03-05T05:59:59'), d('2025-03-01'))).toEqual([
      '2025-03-01',
      '2025-03-02',
      '2025-03-03',
    ]);
    expect(closedLogicalDates(DAILY, seoul('2025-03-02T05:00:00'), d('2025-03-01'))).toEqual([]);
  });

  it('gives only the latest closed date without a start, and never one before start_date', () => {
    expect(closedLogicalDates(DAILY, seoul('2025-03-05T06:30:00'), undefined)).toEqual(['2025-03-04']);
    expect(
      closedLogicalDates({ ...DAILY, startDate: d('2025-03-05') }, seoul('2025-03-05T06:30:00'), undefined),
    ).toEqual([]);
  });

  it('reads the cron in its time zone and gives a date once however often it ticks', () => {
    expect(dateInZone(new Date('2025-03-01T16:00:00Z'), 'Asia/Seoul')).toBe('2025-03-02');
    const hourly: ScheduleSpec = { ...DAILY, schedule: '0 * * * *', timezone: 'UTC' };
    expect(closedLogicalDates(hourly, new Date('2025-03-03T02:30:00Z'), d('2025-03-01'))).toEqual([
      '2025-03-01',
      '2025-03-02',
      '2025-03-03',
    ]);
  });
});

describe('dueDates', () => {
  const now = seoul('2025-03-07T06:10:00');

  it('catches up every missed date since start_date in order, resumes killed ones, leaves failed ones alone', () => {
    const runs = new Map([
      ['2025-03-01', run('2025-03-01', 'success')],
      ['2025-03-02', run('2025-03-02', 'failed', { failureKind: 'task' })],
      ['2025-03-03', run('2025-03-03', 'failed', { failureKind: 'killed' })],
      ['2025-03-05', run('2025-03-05', 'running', { heartbeatAt: new Date(now.getTime() - 10_000) })],
    ]);
    const result = dueDates({ ...DAILY, startDate: d('2025-03-01') }, now, runs, d('2025-03-01'), 120_000);
    expect(result.considered).toEqual([
      { date: '2025-03-01', status: 'success' },
      { date: '2025-03-02', status: 'failed' },
      { date: '2025-03-03', status: 'killed' },
      { date: '2025-03-04', status: 'none' },
      { date: '2025-03-05', status: 'running' },
      { date: '2025-03-06', status: 'none' },
    ]);
    expect(result.due).toEqual(['2025-03-03', '2025-03-04', '2025-03-06']);
    expect(result.nextTick).toEqual(seoul('2025-03-08T06:00:00'));
  });

  it('starts after the last success without start_date, and runs only the latest date without catch-up', () => {
    expect(dueDates(DAILY, now, new Map(), d('2025-03-04'), 120_000).due).toEqual([
      '2025-03-05',
      '2025-03-06',
    ]);
    expect(
      dueDates({ ...DAILY, catchup: false, startDate: d('2025-03-01') }, now, new Map(), undefined, 120_000)
        .due,
    ).toEqual(['2025-03-06']);
    expect(dueDates(DAILY, now, new Map(), undefined, 120_000).due).toEqual(['2025-03-06']);
  });

  it('treats an unfinished run without a recent heartbeat as killed', () => {
    const stale = run('2025-03-06', 'running', { heartbeatAt: new Date(now.getTime() - 600_000) });
    expect(dateRunStatus(stale, now, 120_000)).toBe('killed');
    expect(dateRunStatus(run('2025-03-06', 'failed', { failureKind: 'stopped' }), now, 120_000)).toBe(
      'killed',
    );
    expect(dateRunStatus(undefined, now, 120_000)).toBe('none');
  });
});
