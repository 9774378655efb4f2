/**
 * The merchant category codes merchants are drawn from: pipeline/seeds/mcc_codes.csv (ISO 18245), grouped by
 * our `merchant_category`, the same file silver enriches with, so every generated MCC maps to its category.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const MCC_SEED = fileURLToPath(new URL('../../pipeline/seeds/mcc_codes.csv', import.meta.url));

/** category → its MCCs in file order. */
export type MccCatalog = ReadonlyMap<string, readonly string[]>;

export function loadMccCatalog(path = MCC_SEED): MccCatalog {
  const catalog = new Map<string, string[]>();
  const [header, ...rows] = parseCsv(readFileSync(path, 'utf8'));
  const mccColumn = header!.indexOf('mcc');
  const categoryColumn = header!.indexOf('merchant_category');
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

/** RFC 4180 fields (quoted fields may hold commas and doubled quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}
