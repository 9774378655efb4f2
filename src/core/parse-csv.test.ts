import { describe, expect, it } from 'vitest';
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
});
