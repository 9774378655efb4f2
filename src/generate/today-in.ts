/** Today's calendar date in a time zone: the demo's "yesterday" is the business zone's, not the machine's. */
import type { IsoDate } from '../core/dates.ts';

export function todayIn(timeZone: string, now: Date = new Date()): IsoDate {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now) as IsoDate;
}
