import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dateRange, daysBetween, type IsoDate } from '../../src/core/dates.ts';
import { ImmutablePartitionError } from '../../src/core/errors.ts';
import { isLuhnValid } from '../../src/core/luhn.ts';
import { REQUIRED_TRANSACTION_FIELDS } from '../../src/core/record-contract.ts';
import { generateBronze } from '../../src/generate/generate-bronze.ts';
import { RESEND_WINDOW_DAYS } from '../../src/generate/generator-settings.ts';
import type { GroundTruth } from '../../src/generate/ground-truth.ts';
import type { Lake } from '../../src/lake/lake.ts';
import type { BronzeManifest } from '../../src/lake/manifest.ts';
import {
  bronzeDir,
  hashTree,
  lakeRoot,
  localLake,
  partitionLines,
  readJson,
  testSettings,
} from '../helpers/lake-files.ts';

const settings = testSettings();
/** Three warm-up days first, so every re-send in the checked days refers to an id sent in this lake. */
const WARM_UP_FROM = '2025-02-26' as IsoDate;
const CHECK_FROM = '2025-03-01' as IsoDate;
const TO = '2025-03-05' as IsoDate;
const REQUIRED = REQUIRED_TRANSACTION_FIELDS;

let lake: Lake;

beforeAll(async () => {
  lake = localLake();
  await generateBronze({ lake, settings, from: WARM_UP_FROM, to: TO });
});

const manifestOf = (dataset: 'transactions' | 'customers' | 'cards' | 'merchants', date: IsoDate) =>
  readJson<BronzeManifest>(join(bronzeDir(lake, dataset, date), '_manifest.json'));

/** The one defect of a record, found by our own reading of the record contract (not the generator's code). */
function defectOf(line: string): string | undefined {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line);
  } catch {
    return 'malformed_record';
  }
  const found: string[] = [];
  if (
    REQUIRED.some((field) => record[field] === undefined || record[field] === null || record[field] === '')
  ) {
    found.push('missing_required');
  }
  const amount = record['amount'];
  if (typeof amount === 'string') {
    if (!/^-?\d+(\.\d{1,2})?$/.test(amount)) found.push('invalid_amount');
    else if (Number(amount) <= 0) found.push('non_positive_amount');
  }
  if (record['currency'] !== undefined && !settings.currencies.includes(String(record['currency']))) {
    found.push('unknown_currency');
  }
  if (record['mcc'] !== undefined && !/^\d{4}$/.test(String(record['mcc']))) found.push('invalid_mcc');
  const ts = record['txn_ts'];
  if (
    ts !== undefined &&
    (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/.test(String(ts)) ||
      Number.isNaN(Date.parse(String(ts))))
  ) {
    found.push('invalid_timestamp');
  }
  if (record['is_refund'] !== undefined && typeof record['is_refund'] !== 'boolean')
    found.push('invalid_boolean');
  if (!isLuhnValid(String(record['card_number']))) found.push('invalid_pan');
  expect(found.length, `at most one defect in ${line}`).toBeLessThanOrEqual(1);
  return found[0];
}

/** Recounts a partition against what earlier partitions sent, from the files alone. */
function recount(date: IsoDate, latestById: Map<string, string>, layout: Lake = lake): GroundTruth {
  const truth: GroundTruth = {
    records: 0,
    new: 0,
    duplicates: 0,
    updates: 0,
    bad: 0,
    bad_by_reason: {},
    late: 0,
    late_by_days: {},
  };
  const countLate = (line: string) => {
    const eventDate = (JSON.parse(line) as { txn_ts: string }).txn_ts.slice(0, 10) as IsoDate;
    const days = daysBetween(eventDate, date);
    expect(days, 'never a future event date').toBeGreaterThanOrEqual(0);
    if (days > 0) {
      truth.late++;
      truth.late_by_days[String(days)] = (truth.late_by_days[String(days)] ?? 0) + 1;
    }
  };
  for (const line of partitionLines(bronzeDir(layout, 'transactions', date))) {
    truth.records++;
    const defect = defectOf(line);
    if (defect) {
      truth.bad++;
      const reasons = truth.bad_by_reason as Record<string, number>;
      reasons[defect] = (reasons[defect] ?? 0) + 1;
      continue;
    }
    const id = (JSON.parse(line) as { transaction_id: string }).transaction_id;
    const latest = latestById.get(id);
    if (latest === undefined) {
      truth.new++;
      countLate(line);
    } else if (latest === line) truth.duplicates++;
    else {
      truth.updates++;
      countLate(line);
    }
    latestById.set(id, line);
  }
  return truth;
}

describe('generate: ground truth', () => {
  it("matches an independent recount of the bronze files, day by day from the lake's first day", () => {
    const latestById = new Map<string, string>();
    for (const date of dateRange(WARM_UP_FROM, TO)) {
      const recounted = recount(date, latestById);
      const truth = manifestOf('transactions', date).ground_truth as unknown as GroundTruth;
      expect(recounted).toEqual(truth);
      expect(truth.records).toBe(truth.new + truth.duplicates + truth.updates + truth.bad);
      expect(manifestOf('transactions', date).rows).toBe(truth.records);
    }
  });

  it('injects faults at the configured rates', () => {
    const days = dateRange(CHECK_FROM, TO);
    const truths = days.map(
      (date) => manifestOf('transactions', date).ground_truth as unknown as GroundTruth,
    );
    const sum = (pick: (truth: GroundTruth) => number) =>
      truths.reduce((total, truth) => total + pick(truth), 0);
    const base = settings.rowsPerDay * days.length;
    const within = (actual: number, expected: number, relative: number) =>
      expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(
        expected * relative,
      );
    within(
      sum((t) => t.bad),
      base * settings.badRate,
      0.2,
    );
    within(
      sum((t) => t.duplicates),
      base * (1 - settings.badRate) * settings.dupRate,
      0.2,
    );
    within(
      sum((t) => t.updates),
      base * (1 - settings.badRate) * settings.updateRate,
      0.2,
    );
    // late counts new records at the configured rates plus updates, most of which arrive on a later day.
    const lateNew = sum((t) => t.new) * (settings.lateRate + settings.farLateRate);
    expect(sum((t) => t.late)).toBeGreaterThan(lateNew * 0.8);
    expect(sum((t) => t.late)).toBeLessThan(lateNew * 1.2 + sum((t) => t.updates));
    const lateDays = new Set(truths.flatMap((t) => Object.keys(t.late_by_days).map(Number)));
    expect(Math.max(...lateDays)).toBeGreaterThan(settings.maxLateDays);
    // An update may arrive up to 3 days after its record and move it back across midnight.
    expect(Math.max(...lateDays)).toBeLessThanOrEqual(settings.farLateMaxDays + RESEND_WINDOW_DAYS + 1);
    const reasons = new Set(truths.flatMap((t) => Object.keys(t.bad_by_reason)));
    expect([...reasons].sort()).toEqual([
      'invalid_amount',
      'invalid_boolean',
      'invalid_mcc',
      'invalid_pan',
      'invalid_timestamp',
      'malformed_record',
      'missing_required',
      'non_positive_amount',
      'unknown_currency',
    ]);
  });
});

describe('generate: records', () => {
  it('writes believable clean records: exact amounts, Luhn-valid PANs, declines, refunds, fraud, cross-border', () => {
    const records = partitionLines(bronzeDir(lake, 'transactions', '2025-03-04' as IsoDate))
      .filter((line) => defectOf(line) === undefined)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const record of records) {
      expect(typeof record['amount']).toBe('string');
      expect(record['amount']).toMatch(/^\d+\.\d{2}$/);
      if (record['currency'] === 'KRW' || record['currency'] === 'JPY')
        expect(record['amount']).toMatch(/\.00$/);
      expect(isLuhnValid(String(record['card_number']))).toBe(true);
      expect(record['txn_ts']).toMatch(/\+09:00$/);
      expect(record['decline_reason'] !== null).toBe(record['status'] === 'declined');
      expect(record['original_transaction_id'] !== null).toBe(record['is_refund'] === true);
    }
    const share = (predicate: (record: Record<string, unknown>) => boolean) =>
      records.filter(predicate).length / records.length;
    expect(share((r) => r['status'] === 'declined')).toBeGreaterThan(0.05);
    expect(share((r) => r['status'] === 'declined')).toBeLessThan(0.1);
    expect(share((r) => r['is_refund'] === true)).toBeGreaterThan(0.01);
    expect(share((r) => r['is_fraud'] === true)).toBeGreaterThan(0);
    expect(share((r) => r['is_fraud'] === true)).toBeLessThan(0.03);
    expect(share((r) => r['currency'] === 'KRW')).toBeGreaterThan(0.8);
    expect(share((r) => r['currency'] !== 'KRW')).toBeGreaterThan(0.005);
    expect(new Set(records.map((r) => r['channel']))).toEqual(new Set(['online', 'pos', 'mobile']));
  });

  it('refunds refer to an earlier approved purchase of the same card and merchant', () => {
    const sent = new Map<string, Record<string, unknown>>();
    for (const date of dateRange(WARM_UP_FROM, TO)) {
      for (const line of partitionLines(bronzeDir(lake, 'transactions', date))) {
        if (defectOf(line)) continue;
        const record = JSON.parse(line) as Record<string, unknown>;
        if (record['is_refund'] === true && date >= ('2025-03-05' as IsoDate)) {
          const original = sent.get(String(record['original_transaction_id']));
          if (!original) continue; // refers to a day before this lake's first day
          expect(original['is_refund']).toBe(false);
          expect(original['card_id']).toBe(record['card_id']);
          expect(original['merchant_id']).toBe(record['merchant_id']);
        }
        sent.set(String(record['transaction_id']), record);
      }
    }
  });

  it('invalid_pan records are exactly the records failing Luhn', () => {
    for (const date of dateRange(CHECK_FROM, TO)) {
      const truth = manifestOf('transactions', date).ground_truth as unknown as GroundTruth;
      const failing = partitionLines(bronzeDir(lake, 'transactions', date)).filter((line) => {
        try {
          return !isLuhnValid(String((JSON.parse(line) as { card_number?: unknown }).card_number));
        } catch {
          return false;
        }
      });
      expect(failing.length).toBe(truth.bad_by_reason.invalid_pan ?? 0);
    }
  });

  it('writes daily entity snapshots whose changes type-2 dimensions can track', () => {
    const cards = (date: IsoDate) =>
      partitionLines(bronzeDir(lake, 'cards', date)).map((line) => JSON.parse(line));
    for (const card of cards(TO)) {
      expect(isLuhnValid(card.card_number)).toBe(true);
      expect(['credit', 'debit']).toContain(card.card_type);
      if (card.card_type === 'credit') expect(card.credit_limit).toMatch(/^\d+\.00$/);
    }
    const statuses = new Set(cards(TO).map((card) => card.status));
    expect(statuses.has('active')).toBe(true);
    const customersOn = (date: IsoDate) =>
      new Map(
        partitionLines(bronzeDir(lake, 'customers', date)).map((line) => {
          const customer = JSON.parse(line);
          return [customer.customer_id, customer.city];
        }),
      );
    const first = customersOn(WARM_UP_FROM);
    const last = customersOn(TO);
    const moved = [...first].filter(([id, city]) => last.get(id) !== city);
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.length).toBeLessThan(first.size * 0.2);
    expect(manifestOf('merchants', TO).rows).toBe(settings.merchants);
  });
});

describe('generate: determinism and immutability', () => {
  it('gives byte-identical bronze for the same seed, and for one date alone as inside a range', async () => {
    const again = localLake();
    await generateBronze({ lake: again, settings, from: WARM_UP_FROM, to: TO });
    expect(hashTree(lakeRoot(again))).toEqual(hashTree(lakeRoot(lake)));

    const alone = localLake();
    await generateBronze({
      lake: alone,
      settings,
      from: '2025-03-03' as IsoDate,
      to: '2025-03-03' as IsoDate,
    });
    const inRange = hashTree(join(lakeRoot(lake), 'bronze'), { withManifests: false });
    const single = hashTree(join(lakeRoot(alone), 'bronze'), { withManifests: false });
    expect(Object.keys(single).length).toBe(4);
    for (const [path, hash] of Object.entries(single)) expect(inRange[path]).toBe(hash);
    // Same bytes, but counted against what that lake received: re-sends of ids it never saw are new there.
    const aloneDate = '2025-03-03' as IsoDate;
    const aloneTruth = readJson<BronzeManifest>(
      join(bronzeDir(alone, 'transactions', aloneDate), '_manifest.json'),
    ).ground_truth as unknown as GroundTruth;
    expect(recount(aloneDate, new Map(), alone)).toEqual(aloneTruth);
    expect(aloneTruth.records).toBe(
      (manifestOf('transactions', aloneDate).ground_truth as unknown as GroundTruth).records,
    );
  });

  it('writes the same bytes and ground truth when worker threads build the transactions', async () => {
    // Several chunks per day, so chunks built on different threads must come back in order.
    const bigger = { ...settings, rowsPerDay: 20_000 };
    for (const [gzip, from] of [
      [false, '2025-03-02' as IsoDate],
      [true, TO],
    ] as const) {
      const trees = [];
      for (const workers of [0, 2]) {
        const fresh = localLake();
        await generateBronze({ lake: fresh, settings: { ...bigger, gzip }, from, to: TO, workers });
        trees.push(hashTree(lakeRoot(fresh)));
      }
      expect(Object.keys(trees[0]!).length).toBeGreaterThan(0);
      expect(trees[1]).toEqual(trees[0]);
    }
  });

  it('gives different bronze for another seed', async () => {
    const other = localLake();
    await generateBronze({ lake: other, settings: { ...settings, seed: 8 }, from: TO, to: TO });
    const path = 'bronze/transactions/ingest_date=2025-03-05/part-00000.jsonl';
    expect(hashTree(lakeRoot(other))[path]).not.toBe(hashTree(lakeRoot(lake))[path]);
  });

  it('is a no-op for identical content and refuses different content in an existing partition', async () => {
    const [result] = await generateBronze({ lake, settings, from: TO, to: TO });
    expect(result!.result).toBe('unchanged');
    await expect(
      generateBronze({ lake, settings: { ...settings, seed: 99 }, from: TO, to: TO }),
    ).rejects.toThrow(ImmutablePartitionError);
  });

  it('writes gzip JSON Lines when asked, with the same records', async () => {
    const gz = localLake();
    await generateBronze({ lake: gz, settings: { ...settings, gzip: true }, from: TO, to: TO });
    const partition = bronzeDir(gz, 'transactions', TO);
    expect(manifestOf('transactions', TO).files[0]!.name).toBe('part-00000.jsonl');
    expect(readJson<BronzeManifest>(join(partition, '_manifest.json')).files[0]!.name).toBe(
      'part-00000.jsonl.gz',
    );
    expect(partitionLines(partition)).toEqual(partitionLines(bronzeDir(lake, 'transactions', TO)));
  });
});
