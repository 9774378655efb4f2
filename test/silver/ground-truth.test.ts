import { beforeAll, describe, expect, it } from 'vitest';
import { dateRange, type IsoDate } from '../../src/core/dates.ts';
import { generateBronze } from '../../src/generate/generate-bronze.ts';
import { generatorSettings, RESEND_WINDOW_DAYS } from '../../src/generate/generator-settings.ts';
import type { GroundTruth } from '../../src/generate/ground-truth.ts';
import type { LedgerEntry } from '../../src/silver/ledger-entry.ts';
import type { SilverResult } from '../../src/silver/run-silver.ts';
import { createSilverFixture, readSilver, type SilverFixture, silverContentHash } from './silver-fixture.ts';

/** Warm-up days first: a re-send in the checked days then always refers to an id already in this lake. */
const FROM = '2025-02-25' as IsoDate;
const CHECK_FROM = '2025-02-28' as IsoDate;
const TO = '2025-03-01' as IsoDate;
const DATES = dateRange(FROM, TO);

interface Generated {
  fixture: SilverFixture;
  truths: Map<string, GroundTruth>;
  entityRows: Map<string, Record<string, number>>;
}

async function generated(): Promise<Generated> {
  const fixture = await createSilverFixture();
  const defaults = generatorSettings(fixture.config, {
    rows: 1500,
    seed: 11,
    dupRate: 0.04,
    updateRate: 0.04,
    badRate: 0.04,
    lateRate: 0.1,
  });
  // A small world keeps the test fast; the rates above make every kind of record appear.
  const settings = { ...defaults, customers: 300, merchants: 80 };
  const results = await generateBronze({ lake: fixture.lake, settings, from: FROM, to: TO });
  return {
    fixture,
    truths: new Map(results.map((result) => [result.date, result.transactions])),
    entityRows: new Map(results.map((result) => [result.date, result.entities])),
  };
}

describe("silver against the generator's ground truth", () => {
  let inOrder: Generated;
  const ledgers = new Map<string, LedgerEntry>();
  const entities = new Map<string, SilverResult['entities']>();

  beforeAll(async () => {
    expect(RESEND_WINDOW_DAYS).toBeLessThanOrEqual(3);
    inOrder = await generated();
    for (const date of DATES) {
      const result = await inOrder.fixture.run(date);
      ledgers.set(date, result.ledger);
      entities.set(date, result.entities);
    }
  });

  it('reconciles every count with the manifest: new, duplicates, updates, bad by reason, late by days', () => {
    for (const date of dateRange(CHECK_FROM, TO)) {
      const truth = inOrder.truths.get(date)!;
      const ledger = ledgers.get(date)!;
      expect(
        {
          bronze_rows: ledger.bronze_rows,
          inserted: ledger.inserted,
          duplicates: ledger.duplicates,
          superseded: ledger.superseded,
          quarantined: ledger.quarantined,
          quarantined_by_reason: ledger.quarantined_by_reason,
          late_rows: ledger.late_rows,
          late_by_days: ledger.late_by_days,
        },
        date,
      ).toEqual({
        bronze_rows: truth.records,
        inserted: truth.new,
        duplicates: truth.duplicates,
        superseded: truth.updates,
        quarantined: truth.bad,
        quarantined_by_reason: truth.bad_by_reason,
        late_rows: truth.late,
        late_by_days: truth.late_by_days,
      });
      expect(truth.duplicates + truth.updates + truth.bad + truth.late, date).toBeGreaterThan(0);
    }
  });

  it('writes every entity snapshot row, none rejected', () => {
    for (const date of DATES) {
      const expected = inOrder.entityRows.get(date)!;
      expect(
        entities.get(date)!.map((entity) => [entity.dataset, entity.rows, entity.rejected]),
        date,
      ).toEqual([
        ['customers', expected['customers'], 0],
        ['cards', expected['cards'], 0],
        ['merchants', expected['merchants'], 0],
      ]);
    }
  });

  it('holds one row per transaction_id', async () => {
    const rows = await readSilver(inOrder.fixture.lake);
    expect(new Set(rows.map((row) => row['transaction_id'])).size).toBe(rows.length);
    const inserted = [...ledgers.values()].reduce((sum, ledger) => sum + ledger.inserted, 0);
    expect(rows.length).toBe(inserted);
  });

  it('gives the same silver when the dates are processed in reverse and then rerun', async () => {
    const reversed = await generated();
    for (const date of [...DATES].reverse()) await reversed.fixture.run(date);
    for (const date of DATES.slice(0, 2)) await reversed.fixture.run(date);
    expect(await silverContentHash(reversed.fixture.lake)).toBe(
      await silverContentHash(inOrder.fixture.lake),
    );
  });
});
