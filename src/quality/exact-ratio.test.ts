import { describe, expect, it } from 'vitest';
import { compareRatio, divideRatio, formatRatio, medianRatio, parseRatio, ratio } from './exact-ratio.ts';

describe('exact ratios', () => {
  it('parses decimal text and numbers exactly, exponents included', () => {
    expect(parseRatio('12.50')).toEqual({ num: 25n, den: 2n });
    expect(parseRatio('-0.01')).toEqual({ num: -1n, den: 100n });
    expect(parseRatio('1.5e3')).toEqual({ num: 1500n, den: 1n });
    expect(parseRatio(0.1)).toEqual({ num: 1n, den: 10n });
    expect(() => parseRatio('1,000')).toThrow(/not a decimal number/);
  });

  it('compares sums of cents beyond the precision of a double', () => {
    const sum = parseRatio('67503352377.53');
    const mean = divideRatio(sum, ratio(1_009_707n));
    expect(formatRatio(mean, 2)).toBe('66854.40');
    // 0.1 + 0.2 ≠ 0.3 in floats; here it is exact
    expect(compareRatio(parseRatio('0.3'), divideRatio(parseRatio('0.6'), ratio(2n)))).toBe(0);
  });

  it('takes the median of an even count as the mean of the middle two, and rounds half away from zero', () => {
    expect(medianRatio([ratio(3n), ratio(1n), ratio(2n), ratio(10n)])).toEqual({ num: 5n, den: 2n });
    expect(formatRatio(ratio(5n, 1000n), 2)).toBe('0.01');
    expect(formatRatio(ratio(-5n, 1000n), 2)).toBe('-0.01');
    expect(formatRatio(ratio(-1n, 1000n), 2)).toBe('0.00');
  });
});
