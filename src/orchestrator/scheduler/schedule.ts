/**
 * Which logical dates are due at a time T — a pure function of the schedule, T and the state, so catch-up is
 * tested with a fake "now" and no waiting.
 *
 * Airflow's semantics: each cron tick closes an interval that began at the previous tick, and the run started
 * at a tick processes the **logical date of the interval it closes**: the calendar date, in the schedule's time
 * zone, of the previous tick. With `0 6 * * *` in Asia/Seoul, the 06:00 run on 2 March processes 1 March (the
 * day whose data is complete), which is Airflow's `{{ ds }}`. A schedule that ticks several times a day gives
 * the same date more than once; it is due once.
 *
 * Catch-up (`catchup: true`): every closed date from `start_date` — or, without one, from the day after the
 * last success — in date order. Without catch-up, or with neither bound, only the latest closed date.
 * A date is due when it never ran, or when its latest run was killed or stopped (resuming it); a date whose
 * run failed waits for an operator (`plan` lists it, `backfill --reprocess failed` reruns it).
 */
import { Cron } from 'croner';
import { addDays, type IsoDate } from '../../core/dates.ts';
import type { RunRecord } from '../state/state-store.ts';

export interface ScheduleSpec {
  /** A cron expression (`0 6 * * *`). */
  schedule: string;
  /** IANA time zone the expression is read in. */
  timezone: string;
  startDate?: IsoDate;
  catchup: boolean;
  /** How many dates run at once (the loop's concern; here for completeness of the spec). */
  maxActiveRuns: number;
}

/** A date's latest run, as the scheduler sees it. */
export type DateRunStatus = 'none' | 'running' | 'success' | 'failed' | 'killed';

export interface DueDates {
  /** Dates to run now, in order. */
  due: IsoDate[];
  /** Every closed date considered, with its status. */
  considered: { date: IsoDate; status: DateRunStatus }[];
  /** The next tick after `now` (when the loop wakes up again), or null when the schedule has no more. */
  nextTick: Date | null;
}

const MAX_TICKS = 200_000;

/** The calendar date of an instant in a time zone. */
export function dateInZone(instant: Date, timezone: string): IsoDate {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant) as IsoDate;
}

/**
 * The logical dates whose intervals have closed by `now`, in order, from `from` (its midnight in the zone)
 * when given, else only the latest one.
 */
export function closedLogicalDates(spec: ScheduleSpec, now: Date, from: IsoDate | undefined): IsoDate[] {
  const cron = new Cron(spec.schedule, { timezone: spec.timezone, paused: true });
  const dates: IsoDate[] = [];
  if (from === undefined) {
    const [last, previous] = cron.previousRuns(2, now);
    if (last && previous) dates.push(dateInZone(previous, spec.timezone));
  } else {
    // The first tick at or after `from` 00:00 in the zone (nextRun is strictly after its argument).
    let start = cron.nextRun(`${addDays(from, -1)}T23:59:59`);
    for (let count = 0; start && count < MAX_TICKS; count++) {
      const end = cron.nextRun(start);
      if (!end || end.getTime() > now.getTime()) break;
      const date = dateInZone(start, spec.timezone);
      if (dates[dates.length - 1] !== date) dates.push(date);
      start = end;
    }
  }
  return spec.startDate === undefined ? dates : dates.filter((date) => date >= spec.startDate!);
}

/** How the scheduler sees a date's latest run; an unfinished run without a recent heartbeat was killed. */
export function dateRunStatus(
  run: RunRecord | undefined,
  now: Date,
  heartbeatTimeoutMs: number,
): DateRunStatus {
  if (!run) return 'none';
  switch (run.state) {
    case 'success':
      return 'success';
    case 'failed':
      return run.failureKind === 'killed' || run.failureKind === 'stopped' ? 'killed' : 'failed';
    case 'running':
    case 'queued':
      return now.getTime() - run.heartbeatAt.getTime() > heartbeatTimeoutMs ? 'killed' : 'running';
  }
}

/** Where catch-up starts: start_date, else the day after the last success, else nowhere (latest date only). */
export function catchUpFrom(spec: ScheduleSpec, lastSuccess: IsoDate | undefined): IsoDate | undefined {
  if (!spec.catchup) return undefined;
  if (spec.startDate !== undefined) return spec.startDate;
  return lastSuccess === undefined ? undefined : addDays(lastSuccess, 1);
}

export function dueDates(
  spec: ScheduleSpec,
  now: Date,
  latestRuns: ReadonlyMap<string, RunRecord>,
  lastSuccess: IsoDate | undefined,
  heartbeatTimeoutMs: number,
): DueDates {
  const considered = closedLogicalDates(spec, now, catchUpFrom(spec, lastSuccess)).map((date) => ({
    date,
    status: dateRunStatus(latestRuns.get(date), now, heartbeatTimeoutMs),
  }));
  const cron = new Cron(spec.schedule, { timezone: spec.timezone, paused: true });
  return {
    due: considered
      .filter((entry) => entry.status === 'none' || entry.status === 'killed')
      .map((entry) => entry.date),
    considered,
    nextTick: cron.nextRun(now),
  };
}
