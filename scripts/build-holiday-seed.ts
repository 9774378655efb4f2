/**
 * Rebuilds pipeline/seeds/kr_public_holidays.csv from the `date-holidays` npm package (maintained holiday
 * rules, including the lunar-calendar Korean holidays and substitute days), for dim_date. The package lists
 * only the main day of Seollal and Chuseok; Korean law makes the day before and the day after holidays too,
 * so those two days are added here.
 *
 *   npx tsx scripts/build-holiday-seed.ts
 */
import { writeFileSync } from 'node:fs';
import Holidays from 'date-holidays';

const FIRST_YEAR = 2015;
const LAST_YEAR = 2035;
const korea = new Holidays('KR', { languages: ['en'] });
const THREE_DAY_FESTIVALS = new Set(['Korean New Year', 'Korean Thanksgiving']);
const rows = new Map<string, string>();
const add = (date: string, name: string) => {
  const names = rows.get(date)?.split(' / ') ?? [];
  if (!names.includes(name)) rows.set(date, [...names, name].join(' / '));
};
const shift = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
for (let year = FIRST_YEAR; year <= LAST_YEAR; year++) {
  for (const holiday of korea.getHolidays(year)) {
    if (holiday.type !== 'public') continue;
    const date = holiday.date.slice(0, 10);
    add(date, holiday.name);
    if (THREE_DAY_FESTIVALS.has(holiday.name)) {
      add(shift(date, -1), `${holiday.name} (eve)`);
      add(shift(date, 1), `${holiday.name} (day after)`);
    }
  }
}
const lines = [...rows]
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([date, name]) => `${date},"${name.replaceAll('"', '""')}"`);
writeFileSync(
  new URL('../pipeline/seeds/kr_public_holidays.csv', import.meta.url),
  `holiday_date,holiday_name\n${lines.join('\n')}\n`,
);
console.log(`wrote ${lines.length} Korean public holidays ${FIRST_YEAR}-${LAST_YEAR}`);
