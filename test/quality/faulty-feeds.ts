/**
 * Bronze days for the quality gate tests: a generated day copied as it is, or with its transactions rewritten
 * into one of the faulty feeds of issue 23 (the entity snapshots stay as generated).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IsoDate } from '../../src/core/dates.ts';
import { formatCents, parseCents } from '../../src/core/money.ts';
import {
  commitBronzePartition,
  createStagingDir,
  readBronzePartition,
} from '../../src/lake/bronze-partition.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { BRONZE_DATASETS } from '../../src/lake/lake-layout.ts';
import { type BronzeManifest, sha256OfFile } from '../../src/lake/manifest.ts';

/** Rewrites the lines of a day's transactions file (line number from 0). */
export type FeedTransform = (lines: string[]) => string[];

/** Copies ingest date `date` of every dataset from `source` into `target`, transactions rewritten by `transform`. */
export async function copyBronzeDay(
  source: Lake,
  target: Lake,
  date: IsoDate,
  transform?: FeedTransform,
): Promise<void> {
  for (const dataset of BRONZE_DATASETS) {
    const { manifest, files: committed } = (await readBronzePartition(source, dataset, date))!;
    const staged = await createStagingDir(target);
    const files: BronzeManifest['files'] = [];
    for (const { name, key } of committed) {
      const bytes = await source.store.get(key);
      if (dataset === 'transactions' && transform) {
        const lines = bytes
          .toString('utf8')
          .split('\n')
          .filter((line) => line !== '');
        const rewritten = transform(lines);
        const text = `${rewritten.join('\n')}\n`;
        writeFileSync(join(staged, name), text);
        files.push({
          name,
          rows: rewritten.length,
          bytes: Buffer.byteLength(text),
          sha256: await sha256OfFile(join(staged, name)),
        });
      } else {
        writeFileSync(join(staged, name), bytes);
        files.push(manifest.files.find((file) => file.name === name)!);
      }
    }
    const { ground_truth: _truth, ...rest } = manifest;
    await commitBronzePartition(target, dataset, date, staged, {
      ...(transform && dataset === 'transactions' ? rest : manifest),
      rows: files.reduce((sum, file) => sum + file.rows, 0),
      files,
    });
  }
}

/** Applies `change` to the parsed records of the lines `pick` selects; lines that are not JSON stay as they are. */
function mapRecords(
  pick: (index: number) => boolean,
  change: (record: Record<string, unknown>, index: number) => Record<string, unknown>,
): FeedTransform {
  return (lines) =>
    lines.map((line, index) => {
      if (!pick(index)) return line;
      try {
        return JSON.stringify(change(JSON.parse(line) as Record<string, unknown>, index));
      } catch {
        return line;
      }
    });
}

const amountTimes = (record: Record<string, unknown>, factor: bigint) => {
  const cents = parseCents(String(record['amount']));
  return cents === undefined ? record : { ...record, amount: formatCents(cents * factor) };
};

/** Issue 23's faulty feeds, each aimed at one part of the shipped transactions suite. */
export const FAULTY_FEEDS = {
  /** Every amount ×100 (a feed in minor units). */
  amountsTimes100: mapRecords(
    () => true,
    (record) => amountTimes(record, 100n),
  ),
  /** 40 % of the rows name a merchant no snapshot knows. */
  unknownMerchants: mapRecords(
    (index) => index % 5 < 2,
    (record, index) => ({ ...record, merchant_id: `MX${String(index).padStart(6, '0')}` }),
  ),
  /** 8 % of the day's rows (every 100 lines, the first 8). */
  eightPercentVolume: ((lines) => lines.filter((_, index) => index % 100 < 8)) as FeedTransform,
  /** KRW rows turned into USD at the month's reference rate (same value in KRW), ~90 % of the day in USD. */
  usdAtNinetyPercent: mapRecords(
    (index) => index % 100 < 93,
    (record) => {
      if (record['currency'] !== 'KRW') return record;
      const cents = parseCents(String(record['amount']));
      if (cents === undefined) return record;
      // 1,388.19 KRW per USD (pipeline/seeds/fx_rates.csv, 2025-03): USD cents = KRW cents × 100 / 138,819.
      const usdCents = (cents * 100n * 2n + 138_819n) / (2n * 138_819n);
      return { ...record, currency: 'USD', amount: formatCents(usdCents > 0n ? usdCents : 1n) };
    },
  ),
  /** `country` null on every row. */
  countryAllNull: mapRecords(
    () => true,
    (record) => ({ ...record, country: null }),
  ),
  /** 30 % of the rows carry a currency outside the configured set (quarantined as unknown_currency). */
  quarantineThirtyPercent: mapRecords(
    (index) => index % 10 < 3,
    (record) => ({ ...record, currency: 'XXX' }),
  ),
  /** One line in ten sent twice, exactly; another one in ten sent again with a changed amount. */
  duplicatedIds: ((lines) => [
    ...lines,
    ...lines.filter((_, index) => index % 10 === 0),
    ...mapRecords(
      () => true,
      (record) => amountTimes(record, 2n),
    )(lines.filter((_, index) => index % 10 === 1)),
  ]) as FeedTransform,
  /** Declined transactions without their decline reason (a warn expectation). */
  declinesWithoutReason: mapRecords(
    () => true,
    (record) => (record['status'] === 'declined' ? { ...record, decline_reason: null } : record),
  ),
} satisfies Record<string, FeedTransform>;
