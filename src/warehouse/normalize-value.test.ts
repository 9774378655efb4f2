import { describe, expect, it } from 'vitest';
import { normalizeInteger, normalizeTimestampText } from './normalize-value.ts';

describe('value normalisation', () => {
  it('keeps integers exact: numbers up to 2^53, strings beyond', () => {
    expect(normalizeInteger(42n)).toBe(42);
    expect(normalizeInteger(9007199254740991n)).toBe(9007199254740991);
    expect(normalizeInteger(9007199254740993n)).toBe('9007199254740993');
    expect(normalizeInteger(-9007199254740993n)).toBe('-9007199254740993');
  });

  it('prints timestamps as ISO, fraction without trailing zeros, zones in UTC', () => {
    expect(normalizeTimestampText('2024-01-02 03:04:05')).toBe('2024-01-02T03:04:05');
    expect(normalizeTimestampText('2024-01-02 03:04:05.120000')).toBe('2024-01-02T03:04:05.12');
    expect(normalizeTimestampText('2024-01-02 03:04:05.000')).toBe('2024-01-02T03:04:05');
    expect(normalizeTimestampText('2024-01-02 03:04:05+00')).toBe('2024-01-02T03:04:05Z');
    expect(normalizeTimestampText('2024-01-02 03:04:05.5+09')).toBe('2024-01-01T18:04:05.5Z');
  });
});
