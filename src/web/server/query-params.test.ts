import { describe, expect, it } from 'vitest';
import type { IsoDate } from '../../core/dates.ts';
import { BadRequest, QueryParams } from './query-params.ts';

const LATEST = '2025-03-30' as IsoDate;

describe('QueryParams', () => {
  it('defaults a range to the days that end on the latest date, and keeps what was asked', () => {
    expect(QueryParams.of('/x').requestedRange().resolve(LATEST, 30)).toEqual({
      from: '2025-03-01',
      to: '2025-03-30',
    });
    expect(QueryParams.of('/x?to=2025-02-10').requestedRange().resolve(LATEST, 7)).toEqual({
      from: '2025-02-04',
      to: '2025-02-10',
    });
    expect(QueryParams.of('/x?from=2025-03-29&to=').requestedRange().resolve(LATEST, 30)).toEqual({
      from: '2025-03-29',
      to: '2025-03-30',
    });
  });

  it('refuses impossible, reversed and too long ranges with the reason', () => {
    expect(() => QueryParams.of('/x?from=2025-02-30').requestedRange()).toThrow(
      "parameter 'from' is not a date (YYYY-MM-DD): '2025-02-30'",
    );
    expect(() => QueryParams.of('/x?from=2025-03-31').requestedRange().resolve(LATEST, 30)).toThrow(
      "parameter 'from' (2025-03-31) is after 'to' (2025-03-30)",
    );
    expect(() => QueryParams.of('/x?from=2020-01-01').requestedRange().resolve(LATEST, 30)).toThrow(
      'the date range 2020-01-01 … 2025-03-30 spans 1916 days; at most 366 are allowed',
    );
  });

  it('accepts only listed values, bounded text and integers in range', () => {
    const query = QueryParams.of('/x?channel=pos&sort=drop%20table&q=%20abc%20&page=3&n=9x');
    expect(query.oneOf('channel', ['online', 'pos'])).toBe('pos');
    expect(query.oneOf('missing', ['a'])).toBe('');
    expect(() => query.oneOf('sort', ['net_amount'])).toThrow(
      "parameter 'sort' has value 'drop table'; allowed: net_amount",
    );
    expect(query.text('q', 10)).toBe('abc');
    expect(() => query.text('q', 2)).toThrow("parameter 'q' is longer than 2 characters");
    expect(query.integer('page', 1, 1, 10)).toBe(3);
    expect(query.integer('absent', 1, 1, 10)).toBe(1);
    expect(() => query.integer('n', 1, 1, 10)).toThrow(BadRequest);
  });
});
