/**
 * The merchant category codes merchants are drawn from: pipeline/seeds/mcc_codes.csv (ISO 18245), grouped by
 * our `merchant_category`, the same file silver enriches with, so every generated MCC maps to its category.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCsv } from '../core/parse-csv.ts';

export const MCC_SEED = fileURLToPath(new URL('../../pipeline/seeds/mcc_codes.csv', import.meta.url));

/** category → its MCCs in file order. */
export type MccCatalog = ReadonlyMap<string, readonly string[]>;

export function loadMccCatalog(path = MCC_SEED): MccCatalog {
  const catalog = new Map<string, string[]>();
  const { header, rows } = parseCsv(readFileSync(path, 'utf8'));
  const mccColumn = header.indexOf('mcc');
  const categoryColumn = header.indexOf('merchant_category');
  for (const row of rows) {
    const mcc = row[mccColumn];
    const category = row[categoryColumn];
    if (!mcc || !category) continue;
    const codes = catalog.get(category) ?? [];
    codes.push(mcc);
    catalog.set(category, codes);
  }
  return catalog;
}
