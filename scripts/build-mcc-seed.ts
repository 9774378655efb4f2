/**
 * Rebuilds pipeline/seeds/mcc_codes.csv from the `mcc` npm package (ISO 18245 merchant category codes as
 * published in the IRS/USDA/Visa/Mastercard lists). The code→category grouping below is ours: the ranges the
 * card networks use for their own category groups, so marts can be read by category.
 *
 *   npx tsx scripts/build-mcc-seed.ts
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface MccEntry {
  mcc: string;
  edited_description: string;
}

const require = createRequire(import.meta.url);
const entries = require('mcc/mcc_codes.json') as MccEntry[];

// [first, last, category]: first match wins.
const RANGES: [number, number, string][] = [
  [3000, 3350, 'travel'], // airlines
  [3351, 3500, 'travel'], // car rental
  [3501, 3999, 'lodging'], // hotels and resorts
  [4011, 4131, 'transport'],
  [4411, 4411, 'travel'],
  [4457, 4468, 'travel'],
  [4511, 4582, 'travel'],
  [4722, 4723, 'travel'],
  [4784, 4789, 'transport'],
  [4812, 4821, 'telecom'],
  [4829, 4829, 'financial'],
  [4899, 4899, 'telecom'],
  [4900, 4900, 'utilities'],
  [5411, 5411, 'grocery'],
  [5422, 5499, 'grocery'],
  [5541, 5542, 'fuel'],
  [5983, 5983, 'fuel'],
  [5812, 5814, 'dining'],
  [5815, 5818, 'digital_goods'],
  [5732, 5735, 'electronics'],
  [5045, 5045, 'electronics'],
  [5912, 5912, 'health'],
  [8011, 8099, 'health'],
  [5960, 5969, 'online_retail'],
  [5200, 5999, 'retail'],
  [6010, 6099, 'financial'],
  [6211, 6399, 'financial'],
  [6513, 6513, 'services'],
  [7011, 7011, 'lodging'],
  [7012, 7033, 'lodging'],
  [7512, 7519, 'travel'],
  [7832, 7841, 'entertainment'],
  [7911, 7999, 'entertainment'],
  [8211, 8299, 'education'],
  [9211, 9999, 'government'],
];

function categoryOf(mcc: string): string {
  const code = Number(mcc);
  return RANGES.find(([first, last]) => code >= first && code <= last)?.[2] ?? 'services';
}

const csvField = (text: string) => (/[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
const rows = [...new Map(entries.map((entry) => [entry.mcc, entry])).values()]
  .filter((entry) => /^\d{4}$/.test(entry.mcc))
  .sort((a, b) => a.mcc.localeCompare(b.mcc))
  .map((entry) => [entry.mcc, csvField(entry.edited_description.trim()), categoryOf(entry.mcc)].join(','));

writeFileSync(
  new URL('../pipeline/seeds/mcc_codes.csv', import.meta.url),
  `mcc,description,merchant_category\n${rows.join('\n')}\n`,
);
console.log(`wrote ${rows.length} MCC codes`);
