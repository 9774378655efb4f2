import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/helpers/wait-for.ts';
import {
  type ControlPlaneFixture,
  controlPlaneFixture,
} from '../../../test/orchestrator/helpers/control-plane-fixture.ts';
import type { IsoDate } from '../../core/dates.ts';
import { defineDag } from '../definitions/dag.ts';
import { defineTask } from '../definitions/task-definition.ts';
import { type Clock, clockAt, clockFromEnvironment } from '../execution/clock.ts';
import { LeaseHeldError } from '../execution/lease.ts';
import { runWithWriterLease } from '../execution/run-with-lease.ts';
import { runScheduler, type SchedulerOptions } from './run-scheduler.ts';
import type { ScheduleSpec } from './schedule.ts';

const SPEC: ScheduleSpec = {
  schedule: '0 6 * * *',
  timezone: 'Asia/Seoul',
  startDate: '2025-03-01' as IsoDate,
  catchup: true,
  maxActiveRuns: 1,
};

let fixture: ControlPlaneFixture;
afterEach(async () => {
  await fixture?.store.close();
});

function scheduler(
  clock: Clock,
  processed: string[],
  extra: Partial<SchedulerOptions> = {},
): SchedulerOptions {
  const work = defineTask({
    name: 'work',
    run: async ({ logicalDate }) => {
      processed.push(logicalDate);
      return { date: logicalDate };
    },
  });
  const dag = defineDag({ name: 'daily', tasks: [work] });
  return {
    spec: SPEC,
    store: fixture.store,
    dag: 'daily',
    clock,
    once: true,
    runDate: async (date, stopSignal) =>
      (
        await runWithWriterLease({
          dag,
          store: fixture.store,
          logicalDate: date,
          logsDir: fixture.logsDir,
          trigger: 'scheduler',
          stopSignal,
          clock,
        })
      ).outcome,
    ...extra,
  };
}

describe('runScheduler --once', () => {
  it('catches up the missed dates in order, then reports nothing due', async () => {
    fixture = controlPlaneFixture();
    const processed: string[] = [];
    const clock = clockFromEnvironment({ FINTECH_ETL_NOW: '2025-03-05T07:00:00+09:00' });
    const first = await runScheduler(scheduler(clock, processed));
    expect(first.ran).toEqual([
      { date: '2025-03-01', outcome: 'success' },
      { date: '2025-03-02', outcome: 'success' },
      { date: '2025-03-03', outcome: 'success' },
      { date: '2025-03-04', outcome: 'success' },
    ]);
    expect(processed).toEqual(['2025-03-01', '2025-03-02', '2025-03-03', '2025-03-04']);
    const runs = await fixture.store.listRuns({ dag: 'daily' });
    expect(runs.map((run) => [run.logicalDate, run.state, run.trigger]).reverse()).toEqual([
      ['2025-03-01', 'success', 'scheduler'],
      ['2025-03-02', 'success', 'scheduler'],
      ['2025-03-03', 'success', 'scheduler'],
      ['2025-03-04', 'success', 'scheduler'],
    ]);

    expect((await runScheduler(scheduler(clock, processed))).ran).toEqual([]);
    const nextDay = clockAt(new Date('2025-03-06T06:00:01+09:00'));
    expect((await runScheduler(scheduler(nextDay, processed))).ran).toEqual([
      { date: '2025-03-05', outcome: 'success' },
    ]);
    expect(await fixture.store.getLease('scheduler')).toBeUndefined();
    expect(await fixture.store.getLease('writer')).toBeUndefined();
  });

  it('refuses a second scheduler on the same home with exit code 2, naming the first', async () => {
    fixture = controlPlaneFixture();
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const clock = clockAt(new Date('2025-03-02T07:00:00+09:00'));
    const first = runScheduler(
      scheduler(clock, [], {
        runDate: async () => {
          await blocked;
          return 'success';
        },
      }),
    );
    // The first holds the lease once its record is there; a fixed pause would race a busy machine.
    await waitFor(
      async () => (await fixture.store.getLease('scheduler')) !== undefined,
      'the first scheduler to take its lease',
      () => '',
      5_000,
    );
    const error = await runScheduler(scheduler(clock, [])).catch((e) => e);
    expect(error).toBeInstanceOf(LeaseHeldError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(
      new RegExp(
        `^another fintech-etl process holds the scheduler lease of this home: process ${process.pid} on `,
      ),
    );
    release();
    await first;
  });
});

describe('runScheduler loop', () => {
  it('sleeps until each next tick and runs the date it closes, until stopped', async () => {
    fixture = controlPlaneFixture();
    const processed: string[] = [];
    const stop = new AbortController();
    let now = new Date('2025-03-02T07:00:00+09:00');
    const wakes: string[] = [];
    const clock: Clock = {
      now: () => new Date(now),
      sleep: async (ms) => {
        now = new Date(now.getTime() + ms);
        wakes.push(now.toISOString());
        if (wakes.length === 3) stop.abort(new Error('SIGTERM'));
      },
    };
    const report = await runScheduler(scheduler(clock, processed, { once: false, stopSignal: stop.signal }));
    expect(wakes).toEqual([
      '2025-03-02T21:00:00.000Z',
      '2025-03-03T21:00:00.000Z',
      '2025-03-04T21:00:00.000Z',
    ]);
    expect(report.ran.map((entry) => entry.date)).toEqual(['2025-03-01', '2025-03-02', '2025-03-03']);
  });
});
