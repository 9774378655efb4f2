/**
 * Formats wall-clock times of the business time zone as ISO-8601 with the zone's offset at that moment
 * (`2025-03-01T13:45:12+09:00`). Times travel as wall-clock seconds since 1970-01-01 00:00 local, so the
 * event date is plain integer division; offsets come from Intl once per (date, hour) and are cached, which
 * keeps Intl off the per-transaction path.
 */
import { epochDayToDate } from '../core/dates.ts';
import { asciiBytes, type LineBytes } from './line-bytes.ts';

export class ZoneClock {
  private readonly offsets = new Map<number, string>();
  private readonly dates = new Map<number, string>();
  private readonly offsetFormat: Intl.DateTimeFormat;

  constructor(readonly timeZone: string) {
    this.offsetFormat = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  }

  /** `wallSeconds` = local wall time as seconds since 1970-01-01T00:00 local. */
  format(wallSeconds: number): string {
    const day = Math.floor(wallSeconds / 86_400);
    const hours = day === this.lastDay ? this.lastHours! : this.hoursOf(day);
    const secondOfDay = wallSeconds - day * 86_400;
    const hour = Math.floor(secondOfDay / 3600);
    const minute = Math.floor((secondOfDay % 3600) / 60);
    return (
      hours.prefix[hour]! + TWO_DIGITS[minute]! + ':' + TWO_DIGITS[secondOfDay % 60]! + hours.offset[hour]!
    );
  }

  /** Writes `format(wallSeconds)` into a line without building the string. */
  write(out: LineBytes, wallSeconds: number): void {
    const day = Math.floor(wallSeconds / 86_400);
    const hours = day === this.lastDay ? this.lastHours! : this.hoursOf(day);
    const secondOfDay = wallSeconds - day * 86_400;
    const hour = Math.floor(secondOfDay / 3600);
    const minute = Math.floor((secondOfDay % 3600) / 60);
    const second = secondOfDay % 60;
    out.bytes(hours.prefixBytes[hour]!);
    out.byte(ZERO + ((minute / 10) | 0));
    out.byte(ZERO + (minute % 10));
    out.byte(COLON);
    out.byte(ZERO + ((second / 10) | 0));
    out.byte(ZERO + (second % 10));
    out.bytes(hours.offsetBytes[hour]!);
  }

  // Records of a file fall on a few days: keep each day's `YYYY-MM-DDTHH:` prefixes and offsets at hand.
  private readonly days = new Map<number, DayHours>();
  private lastDay = Number.NaN;
  private lastHours: DayHours | undefined;

  private hoursOf(day: number): DayHours {
    let hours = this.days.get(day);
    if (!hours) {
      const date = this.date(day);
      hours = { prefix: [], offset: [], prefixBytes: [], offsetBytes: [] };
      for (let hour = 0; hour < 24; hour++) {
        hours.prefix.push(`${date}T${two(hour)}:`);
        hours.offset.push(this.offset(day, hour));
        hours.prefixBytes.push(asciiBytes(hours.prefix[hour]!));
        hours.offsetBytes.push(asciiBytes(hours.offset[hour]!));
      }
      if (this.days.size > 4096) this.days.clear();
      this.days.set(day, hours);
    }
    this.lastDay = day;
    this.lastHours = hours;
    return hours;
  }

  private date(day: number): string {
    let text = this.dates.get(day);
    if (text === undefined) {
      text = epochDayToDate(day);
      if (this.dates.size > 4096) this.dates.clear();
      this.dates.set(day, text);
    }
    return text;
  }

  private offset(day: number, hour: number): string {
    const key = day * 24 + hour;
    let text = this.offsets.get(key);
    if (text === undefined) {
      text = this.computeOffset(key * 3_600_000);
      if (this.offsets.size > 100_000) this.offsets.clear();
      this.offsets.set(key, text);
    }
    return text;
  }

  /** The offset in force at a wall time: guess the instant with the offset at the wall time read as UTC, then correct once. */
  private computeOffset(wallMs: number): string {
    const first = this.offsetMinutesAt(wallMs);
    const minutes = this.offsetMinutesAt(wallMs - first * 60_000);
    const sign = minutes < 0 ? '-' : '+';
    const abs = Math.abs(minutes);
    return `${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
  }

  private offsetMinutesAt(instantMs: number): number {
    const name = this.offsetFormat
      .formatToParts(instantMs)
      .find((part) => part.type === 'timeZoneName')?.value;
    const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name ?? '');
    if (!match) return 0; // "GMT" alone: UTC
    const minutes = Number(match[2]) * 60 + Number(match[3]);
    return match[1] === '-' ? -minutes : minutes;
  }
}

interface DayHours {
  prefix: string[];
  offset: string[];
  prefixBytes: Uint8Array[];
  offsetBytes: Uint8Array[];
}

const ZERO = 48;
const COLON = 58;
const TWO_DIGITS = Array.from({ length: 60 }, (_, value) => two(value));

function two(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}
