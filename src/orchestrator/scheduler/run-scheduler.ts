/**
 * The scheduler loop (`fintech-etl scheduler [--once]`): holds the home's `scheduler` lease (a second scheduler
 * fails naming the first, exit 2), asks `dueDates` what is due now, runs those dates in order through the
 * injected `runDate` (which takes the writer lease per date, so a manual `run` can slip in between), up to
 * `maxActiveRuns` at once, then sleeps until the next tick. `once` runs what is due now and returns. A stop
 * signal (SIGTERM) starts no new date and lets the running ones finish or abandon their try (runDate passes the
 * signal on to the executor).
 */
import type { IsoDate } from '../../core/dates.ts';
import { NO_TASK_EVENTS, type TaskEventSink } from '../definitions/task-event.ts';
import { type Clock, systemClock } from '../execution/clock.ts';
import { errorSentence } from '../execution/error-sentence.ts';
import { acquireLease, SCHEDULER_LEASE } from '../execution/lease.ts';
import type { ProcessIdentity, RunRecord, StateStore } from '../state/state-store.ts';
import { catchUpFrom, closedLogicalDates, dueDates, type ScheduleSpec } from './schedule.ts';

export interface SchedulerOptions {
  spec: ScheduleSpec;
  store: StateStore;
  /** The DAG whose runs decide what is due. */
  dag: string;
  /** Runs one date to its end (or until `stopSignal` stops it); returns its outcome for the report. */
  runDate(date: IsoDate, stopSignal: AbortSignal): Promise<string>;
  /** `now()` may be fake (FINTECH_ETL_NOW): due dates follow it; waits use `sleep`. */
  clock?: Clock;
  once?: boolean;
  stopSignal?: AbortSignal;
  events?: TaskEventSink;
  heartbeatTimeoutMs?: number;
  identity?: ProcessIdentity;
  isAlive?: (pid: number) => boolean;
}

export interface SchedulerReport {
  /** Dates run, in the order they started, with the outcome runDate returned (or its error). */
  ran: { date: IsoDate; outcome: string }[];
}

export async function runScheduler(options: SchedulerOptions): Promise<SchedulerReport> {
  const clock = options.clock ?? systemClock;
  const events = options.events ?? NO_TASK_EVENTS;
  const stopSignal = options.stopSignal ?? new AbortController().signal;
  const lease = await acquireLease({
    store: options.store,
    name: SCHEDULER_LEASE,
    exitCode: 2,
    // The system clock, even when "now" is fake: another process must read the lease's times as real.
    events,
    ...(options.identity ? { holder: options.identity } : {}),
    ...(options.isAlive ? { isAlive: options.isAlive } : {}),
  });
  const stop = AbortSignal.any([stopSignal, lease.lost]);
  const report: SchedulerReport = { ran: [] };
  try {
    for (;;) {
      const now = clock.now();
      const { due, nextTick } = await whatIsDue(options, now);
      events.emit({
        kind: 'scheduler-due',
        now: now.toISOString(),
        due,
        nextTick: nextTick?.toISOString() ?? null,
      });
      await runInOrder(due, options.spec.maxActiveRuns, stop, async (date) => {
        let outcome: string;
        try {
          outcome = await options.runDate(date, stop);
        } catch (error) {
          outcome = `error: ${errorSentence(error)}`;
        }
        report.ran.push({ date, outcome });
        events.emit({ kind: 'scheduler-ran', date, outcome });
      });
      if (options.once || stop.aborted || nextTick === null) break;
      // A tick that passed while dates ran is handled at once.
      const wait = nextTick.getTime() - clock.now().getTime();
      if (wait > 0) await clock.sleep(wait, stop);
      if (stop.aborted) break;
    }
  } finally {
    await lease.release();
  }
  return report;
}

async function whatIsDue(options: SchedulerOptions, now: Date) {
  const { store, dag, spec } = options;
  const [lastSuccessRun] = await store
    .listRuns({ dag, states: ['success'] })
    .then((runs) => runs.sort((a, b) => b.logicalDate.localeCompare(a.logicalDate)));
  const lastSuccess = lastSuccessRun?.logicalDate;
  const candidates = closedLogicalDates(spec, now, catchUpFrom(spec, lastSuccess));
  const latestRuns = new Map<string, RunRecord>();
  if (candidates.length) {
    // listRuns is newest first: the first run seen for a date is its latest.
    for (const run of await store.listRuns({
      dag,
      from: candidates[0],
      to: candidates[candidates.length - 1],
    })) {
      if (!latestRuns.has(run.logicalDate)) latestRuns.set(run.logicalDate, run);
    }
  }
  return dueDates(spec, now, latestRuns, lastSuccess, options.heartbeatTimeoutMs ?? 120_000);
}

/** Starts dates in order, at most `limit` at once; stops starting new ones when `stop` fires. */
async function runInOrder(
  dates: readonly IsoDate[],
  limit: number,
  stop: AbortSignal,
  work: (date: IsoDate) => Promise<void>,
): Promise<void> {
  const active = new Set<Promise<void>>();
  for (const date of dates) {
    if (stop.aborted) break;
    const running: Promise<void> = work(date).finally(() => active.delete(running));
    active.add(running);
    if (active.size >= limit) await Promise.race(active);
  }
  await Promise.all(active);
}
