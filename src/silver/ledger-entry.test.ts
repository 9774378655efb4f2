import { describe, expect, it } from 'vitest';
import type { IsoDate } from '../core/dates.ts';
import { PipelineError } from '../core/errors.ts';
import { assertLedgerBalanced, lateByDays } from './ledger-entry.ts';

const date = (text: string) => text as IsoDate;

describe('ledger', () => {
  it('fails an unbalanced ledger with a PipelineError naming the numbers', () => {
    const entry = {
      ingest_date: date('2025-03-01'),
      inserted: 5,
      superseded: 1,
      duplicates: 2,
      quarantined: 1,
    };
    expect(() => assertLedgerBalanced({ ...entry, bronze_rows: 9 })).not.toThrow();
    expect(() => assertLedgerBalanced({ ...entry, bronze_rows: 10 })).toThrow(PipelineError);
    expect(() => assertLedgerBalanced({ ...entry, bronze_rows: 10 })).toThrow(/bronze_rows 10 ≠ .*= 9/);
  });

  it('groups late rows by days late and ignores on-time rows', () => {
    expect(
      lateByDays(date('2025-03-11'), [
        [date('2025-03-11'), 100],
        [date('2025-03-10'), 3],
        [date('2025-03-01'), 2],
        [date('2025-03-09'), 1],
      ]),
    ).toEqual({ '1': 3, '2': 1, '10': 2 });
  });
});
