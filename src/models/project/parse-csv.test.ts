import { describe, expect, it } from 'vitest';
import { inferSeedType } from '../run/load-seeds.ts';
import { parseCsv } from './parse-csv.ts';

describe('seed CSV', () => {
  it('skips leading # comment lines and reads quoted fields', () => {
    const text =
      '# from the mcc package\n# second comment\nmcc,description\n0742,"Vets, ""big"" and small"\r\n5411,"two\nlines"\n';
    expect(parseCsv(text)).toEqual({
      header: ['mcc', 'description'],
      rows: [
        ['0742', 'Vets, "big" and small'],
        ['5411', 'two\nlines'],
      ],
    });
  });

  it('infers types conservatively: codes with leading zeros stay text', () => {
    expect(inferSeedType(['0742', '5411'])).toBe('varchar');
    expect(inferSeedType(['1', '22', ''])).toBe('bigint');
    expect(inferSeedType(['1.5', '2.25'])).toBe('decimal(18,2)');
    expect(inferSeedType(['2024-01-01'])).toBe('date');
    expect(inferSeedType(['true', 'FALSE'])).toBe('boolean');
    expect(inferSeedType(['', ''])).toBe('varchar');
  });
});
