/**
 * Writes pipeline/seeds/fx_rates.csv: monthly KRW-per-unit reference rates, 2020-01 … 2030-12.
 * SYNTHETIC: there is no network here to fetch a published series, so the rates are interpolated between
 * hand-picked yearly anchors close to the published annual averages of 2020–2025 (Bank of Korea / ECB
 * ballpark) and held near the 2025 level with a small deterministic wobble afterwards. Good enough to exercise
 * the as-of lookup and cross rates; not for accounting. Run: npx tsx scripts/build-fx-seed.ts
 */
import { writeFileSync } from 'node:fs';

/** KRW per unit at mid-year, by year. */
const ANCHORS: Record<string, Record<number, number>> = {
  USD: { 2020: 1180, 2021: 1144, 2022: 1292, 2023: 1306, 2024: 1364, 2025: 1415 },
  EUR: { 2020: 1346, 2021: 1354, 2022: 1358, 2023: 1412, 2024: 1475, 2025: 1590 },
  JPY: { 2020: 11.05, 2021: 10.42, 2022: 9.84, 2023: 9.3, 2024: 9.0, 2025: 9.5 },
  CNY: { 2020: 171, 2021: 177, 2022: 192, 2023: 184.5, 2024: 189.5, 2025: 196 },
  GBP: { 2020: 1513, 2021: 1573, 2022: 1593, 2023: 1624, 2024: 1743, 2025: 1880 },
};
const LAST_ANCHOR_YEAR = 2025;

function rate(currency: string, year: number, month: number): number {
  const anchors = ANCHORS[currency]!;
  const t = year + (month - 0.5) / 12 - 0.5;
  const y0 = Math.min(Math.floor(t), LAST_ANCHOR_YEAR);
  const a = anchors[Math.max(y0, 2020)]!;
  const b = anchors[Math.min(y0 + 1, LAST_ANCHOR_YEAR)]!;
  const base =
    t >= LAST_ANCHOR_YEAR ? anchors[LAST_ANCHOR_YEAR]! : a + (b - a) * Math.max(0, Math.min(1, t - y0));
  const wobble = 1 + 0.012 * Math.sin((year * 12 + month) * 0.9 + currency.length);
  return base * wobble;
}

const lines = ['rate_date,currency,krw_per_unit'];
for (let year = 2020; year <= 2030; year++) {
  for (let month = 1; month <= 12; month++) {
    const date = `${year}-${String(month).padStart(2, '0')}-01`;
    lines.push(`${date},KRW,1.000000`);
    for (const currency of Object.keys(ANCHORS)) {
      lines.push(`${date},${currency},${rate(currency, year, month).toFixed(currency === 'JPY' ? 4 : 2)}`);
    }
  }
}
writeFileSync(new URL('../pipeline/seeds/fx_rates.csv', import.meta.url), `${lines.join('\n')}\n`);
