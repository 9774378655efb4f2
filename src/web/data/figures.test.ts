import { describe, expect, it } from 'vitest';
import { rateDifference, ratio, relativeChange, sumAmounts } from './figures.ts';

describe('figures', () => {
  it('rounds a ratio half away from zero to 4 decimals, like the marts', () => {
    expect(ratio(1, 3)).toBe('0.3333');
    expect(ratio(2, 3)).toBe('0.6667');
    expect(ratio(1, 8)).toBe('0.1250');
    expect(ratio(1, 20_000)).toBe('0.0001');
    expect(ratio(1, 20_001)).toBe('0.0000');
    expect(ratio(5, 5)).toBe('1.0000');
    expect(ratio(3, 0)).toBeNull();
  });

  it('computes the change of amounts exactly, from decimal strings', () => {
    expect(relativeChange('5444314152.71', '5902145813.47')).toBe('-0.0776');
    expect(relativeChange('110.00', '100.00')).toBe('0.1000');
    expect(relativeChange(94_455, 99_353)).toBe('-0.0493');
    expect(relativeChange('-8000.00', '4000.00')).toBe('-3.0000');
    expect(relativeChange('100.00', '-50.00')).toBe('3.0000');
    expect(relativeChange('1.00', '0.00')).toBeNull();
    expect(relativeChange('1.00', null)).toBeNull();
  });

  it('gives the change of a rate in points, and sums amounts without float error', () => {
    expect(rateDifference('0.9370', '0.9365')).toBe('0.0005');
    expect(rateDifference('0.0016', '0.0014')).toBe('0.0002');
    expect(rateDifference('0.0000', '0.0012')).toBe('-0.0012');
    expect(rateDifference(null, '0.5000')).toBeNull();
    expect(sumAmounts(['0.10', '0.20', '0.30'])).toBe('0.60');
    expect(sumAmounts(['99999999999999.99', '0.01', '-8000.00'])).toBe('99999999992000.00');
    expect(sumAmounts([])).toBe('0.00');
  });
});
