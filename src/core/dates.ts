/**
 * Calendar dates as `YYYY-MM-DD` strings. Logical dates, ingest dates and event dates are all calendar dates
 * with no time zone; arithmetic goes through UTC midnight so it never depends on the machine's zone.
 */
import { UsageError } from './errors.ts';

export type IsoDate = string & { readonly __isoDate: unique symbol };

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses a `YYYY-MM-DD` string, refusing impossible dates such as 2024-02-30. `what` names the input in errors. */
export function parseIsoDate(text: string, what = 'date'): IsoDate {
  const match = ISO_DATE.exec(text);
  if (match) {
    const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
    if (new Date(ms).toISOString().slice(0, 10) === text) return text as IsoDate;
  }
  throw new UsageError(`${what} '${text}' is not a valid date: expected YYYY-MM-DD`);
}

export function isIsoDate(text: string): text is IsoDate {
  try {
    parseIsoDate(text);
    return true;
  } catch {
    return false;
  }
}

export function dateToEpochDay(date: IsoDate): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS;
}

export function epochDayToDate(day: number): IsoDate {
  return new Date(day * DAY_MS).toISOString().slice(0, 10) as IsoDate;
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return epochDayToDate(dateToEpochDay(date) + days);
}

/** `to - from` in whole days. */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  return dateToEpochDay(to) - dateToEpochDay(from);
}

/** Every date from `from` to `to`, both included; refuses a reversed range. */
export function dateRange(from: IsoDate, to: IsoDate): IsoDate[] {
  const span = daysBetween(from, to);
  if (span < 0) throw new UsageError(`date range is reversed: ${from} is after ${to}`);
  return Array.from({ length: span + 1 }, (_, i) => addDays(from, i));
}

/** Finds the first `YYYY-MM-DD` in a file name, for ingest's date-from-name rule. */
export function dateInName(name: string): IsoDate | undefined {
  for (const match of name.matchAll(/(\d{4}-\d{2}-\d{2})/g)) {
    if (isIsoDate(match[1]!)) return match[1] as IsoDate;
  }
  return undefined;
}
