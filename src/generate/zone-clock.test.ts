import { describe, expect, it } from 'vitest';
import { dateToEpochDay, type IsoDate } from '../core/dates.ts';
import { ZoneClock } from './zone-clock.ts';

const wall = (date: string, hour: number, minute = 0, second = 0) =>
  dateToEpochDay(date as IsoDate) * 86_400 + hour * 3600 + minute * 60 + second;

describe('ZoneClock', () => {
  it('writes the wall time with the zone offset in force', () => {
    expect(new ZoneClock('Asia/Seoul').format(wall('2025-03-01', 13, 45, 12))).toBe(
      '2025-03-01T13:45:12+09:00',
    );
    expect(new ZoneClock('UTC').format(wall('2025-03-01', 0, 0, 5))).toBe('2025-03-01T00:00:05+00:00');
  });

  it('follows daylight saving time (US clocks moved forward on 2025-03-09 at 02:00)', () => {
    const clock = new ZoneClock('America/New_York');
    expect(clock.format(wall('2025-03-09', 1, 30))).toBe('2025-03-09T01:30:00-05:00');
    expect(clock.format(wall('2025-03-09', 12))).toBe('2025-03-09T12:00:00-04:00');
    expect(clock.format(wall('2025-03-08', 23, 59, 59))).toBe('2025-03-08T23:59:59-05:00');
  });
});
