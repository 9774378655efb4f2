/**
 * Fraud: fraud-labelled transactions, their rate and amount by event date, merchant category, channel and
 * country, from mart_fraud_daily, narrowed by one set of filters (date range, category, channel, country).
 */
import { dateRange } from '../../core/dates.ts';
import { formatCents, parseCents } from '../../core/money.ts';
import type { WarehouseRow } from '../../warehouse/warehouse.ts';
import { ratio } from '../data/figures.ts';
import { sqlFile } from '../data/gold-database.ts';
import { latestLogicalDate } from '../data/latest-date.ts';
import type { WebPage } from '../page-registry.ts';
import { optionsOf } from './options-of.ts';
import { DEFAULT_RANGE_DAYS } from './sales-page.ts';

/** Countries beyond these many (by fraud amount) are summed into one "other countries" bar. */
const TOP_COUNTRIES = 15;

export const fraudPage: WebPage = {
  id: 'fraud',
  path: '/fraud',
  title: 'Fraud',
  summary:
    'Transactions labelled fraud: rate (of all transactions) and amount by day, category, channel and country.',
  charts: true,
  body: `
<form class="filters" method="get" action="/fraud">
  <label>From <input type="date" name="from"></label>
  <label>To <input type="date" name="to"></label>
  <label>Category <select name="category"><option value="">All categories</option></select></label>
  <label>Channel <select name="channel"><option value="">All channels</option></select></label>
  <label>Country <select name="country"><option value="">All countries</option></select></label>
  <button type="submit">Apply</button>
  <a class="reset" href="/fraud">Reset</a>
</form>
<section class="tiles compact" id="totals" aria-label="Totals of the range"></section>
<section class="card"><h2>Fraud by day</h2><div class="chart" id="chart-day"></div></section>
<div class="grid-2">
  <section class="card"><h2>By merchant category</h2><div class="chart" id="chart-category"></div></section>
  <section class="card"><h2>By channel</h2><div class="chart" id="chart-channel"></div></section>
</div>
<section class="card"><h2>By country</h2><div class="chart" id="chart-country"></div><div id="table-country"></div></section>`,

  async load(query, data) {
    const requested = query.requestedRange();
    const latest = await latestLogicalDate(data.gold);
    const options = optionsOf(await data.gold.query(sqlFile('fraud-options')));
    const range = requested.resolve(latest, DEFAULT_RANGE_DAYS);
    const filters = {
      ...range,
      category: query.oneOf('category', options['category'] ?? []),
      channel: query.oneOf('channel', options['channel'] ?? []),
      country: query.oneOf('country', options['country'] ?? []),
    };
    const rows = await data.gold.query(sqlFile('fraud-breakdown'), filters);
    const of = (breakdown: string) => rows.filter((row) => row['breakdown'] === breakdown).map(figures);
    const byDay = of('day');
    const days = dateRange(range.from, range.to).map(
      (date) =>
        byDay.find((row) => row.member === date) ??
        figures({ member: date, transactions: 0, fraud_count: 0 }),
    );
    const countries = of('country').sort(
      (a, b) => compareAmounts(b.fraud_amount, a.fraud_amount) || b.fraud_count - a.fraud_count,
    );
    return {
      latest,
      filters,
      options,
      totals: figures(sumRows(byDay, 'total')),
      by_day: days,
      by_category: of('category'),
      by_channel: of('channel'),
      by_country: countries.slice(0, TOP_COUNTRIES),
      other_countries:
        countries.length > TOP_COUNTRIES
          ? figures(sumRows(countries.slice(TOP_COUNTRIES), 'other countries'))
          : null,
    };
  },
};

interface FraudFigures {
  member: string;
  transactions: number;
  fraud_count: number;
  fraud_amount: string;
  fraud_rate: string | null;
}

function figures(row: WarehouseRow): FraudFigures {
  const transactions = Number(row['transactions'] ?? 0);
  const fraudCount = Number(row['fraud_count'] ?? 0);
  return {
    member: String(row['member']),
    transactions,
    fraud_count: fraudCount,
    fraud_amount: String(row['fraud_amount'] ?? '0.00'),
    fraud_rate: ratio(fraudCount, transactions),
  };
}

/** The sum of several groups' figures (a range's total, the countries beyond the top ones). */
function sumRows(rows: FraudFigures[], member: string): WarehouseRow {
  let cents = 0n;
  for (const row of rows) cents += amountCents(row.fraud_amount);
  return {
    member,
    transactions: rows.reduce((sum, row) => sum + row.transactions, 0),
    fraud_count: rows.reduce((sum, row) => sum + row.fraud_count, 0),
    fraud_amount: formatCents(cents),
  };
}

function compareAmounts(a: string, b: string): number {
  const difference = amountCents(a) - amountCents(b);
  return difference > 0n ? 1 : difference < 0n ? -1 : 0;
}

const amountCents = (amount: string): bigint => parseCents(amount) ?? 0n;
