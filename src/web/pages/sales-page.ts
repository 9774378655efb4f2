/**
 * Sales: daily net amount over a date range, the same split by merchant category and by channel, and a table
 * of the days, all from mart_sales_daily and all narrowed by the same filters (date range, category, channel).
 */
import { dateRange } from '../../core/dates.ts';
import type { WarehouseRow } from '../../warehouse/warehouse.ts';
import { ratio, sumAmounts } from '../data/figures.ts';
import { sqlFile } from '../data/gold-database.ts';
import { latestLogicalDate } from '../data/latest-date.ts';
import type { WebPage } from '../page-registry.ts';
import { optionsOf } from './options-of.ts';

export const DEFAULT_RANGE_DAYS = 30;

export const salesPage: WebPage = {
  id: 'sales',
  path: '/sales',
  title: 'Sales',
  summary: 'Net amount (purchases − refunds) by event date, merchant category and channel.',
  charts: true,
  body: `
<form class="filters" method="get" action="/sales">
  <label>From <input type="date" name="from"></label>
  <label>To <input type="date" name="to"></label>
  <label>Category <select name="category"><option value="">All categories</option></select></label>
  <label>Channel <select name="channel"><option value="">All channels</option></select></label>
  <button type="submit">Apply</button>
  <a class="reset" href="/sales">Reset</a>
</form>
<section class="tiles compact" id="totals" aria-label="Totals of the range"></section>
<section class="card"><h2>Daily net amount</h2><div class="chart" id="chart-daily"></div></section>
<div class="grid-2">
  <section class="card"><h2>Net amount by merchant category</h2><div class="chart" id="chart-category"></div></section>
  <section class="card"><h2>Net amount by channel</h2><div class="chart" id="chart-channel"></div></section>
</div>
<section class="card"><h2>Days</h2><div id="table-days"></div></section>`,

  async load(query, data) {
    const requested = query.requestedRange();
    const latest = await latestLogicalDate(data.gold);
    const options = optionsOf(await data.gold.query(sqlFile('sales-options')));
    const range = requested.resolve(latest, DEFAULT_RANGE_DAYS);
    const category = query.oneOf('category', options['category'] ?? []);
    const channel = query.oneOf('channel', options['channel'] ?? []);
    const rows = await data.gold.query(sqlFile('sales-breakdown'), { ...range, category, channel });
    const days = dateRange(range.from, range.to);
    const daily = rows.filter((row) => row['breakdown'] === 'day');
    const figures = days.map((date) =>
      dayFigures(
        date,
        daily.find((row) => row['event_date'] === date),
      ),
    );
    return {
      latest,
      filters: { ...range, category, channel },
      options,
      dates: days,
      totals: totalsOf(figures),
      days: figures,
      by_category: seriesOf(rows, 'category'),
      by_channel: seriesOf(rows, 'channel'),
    };
  },
};

function dayFigures(date: string, row: WarehouseRow | undefined) {
  const transactions = (row?.['transactions'] as number | undefined) ?? 0;
  const declined = (row?.['declined'] as number | undefined) ?? 0;
  return {
    date,
    transactions,
    purchases: Number(row?.['purchases'] ?? 0),
    purchase_amount: String(row?.['purchase_amount'] ?? '0.00'),
    refunds: Number(row?.['refunds'] ?? 0),
    refund_amount: String(row?.['refund_amount'] ?? '0.00'),
    net_amount: String(row?.['net_amount'] ?? '0.00'),
    declined,
    approval_rate: ratio(transactions - declined, transactions),
  };
}

function totalsOf(days: ReturnType<typeof dayFigures>[]) {
  const transactions = days.reduce((sum, day) => sum + day.transactions, 0);
  const declined = days.reduce((sum, day) => sum + day.declined, 0);
  return {
    transactions,
    purchases: days.reduce((sum, day) => sum + day.purchases, 0),
    purchase_amount: sumAmounts(days.map((day) => day.purchase_amount)),
    refunds: days.reduce((sum, day) => sum + day.refunds, 0),
    refund_amount: sumAmounts(days.map((day) => day.refund_amount)),
    net_amount: sumAmounts(days.map((day) => day.net_amount)),
    declined,
    approval_rate: ratio(transactions - declined, transactions),
  };
}

/** One series per category (or channel): its net amount per date, dates without rows absent. */
function seriesOf(rows: WarehouseRow[], breakdown: 'category' | 'channel') {
  const series = new Map<string, Record<string, string>>();
  for (const row of rows) {
    if (row['breakdown'] !== breakdown) continue;
    const member = String(row['member']);
    const values = series.get(member) ?? {};
    values[String(row['event_date'])] = String(row['net_amount']);
    series.set(member, values);
  }
  return [...series].map(([name, net_amount]) => ({ name, net_amount }));
}
