import { describe, expect, it } from 'vitest';
import { inferSeedType } from './load-seeds.ts';

describe('seed column types', () => {
  it('infers types conservatively: codes with leading zeros stay text', () => {
    expect(inferSeedType(['0742', '5411'])).toBe('varchar');
    expect(inferSeedType(['1', '22', ''])).toBe('bigint');
    expect(inferSeedType(['1.5', '2.25'])).toBe('decimal(18,2)');
    expect(inferSeedType(['2024-01-01'])).toBe('date');
    expect(inferSeedType(['true', 'FALSE'])).toBe('boolean');
    expect(inferSeedType(['', ''])).toBe('varchar');
  });
});
