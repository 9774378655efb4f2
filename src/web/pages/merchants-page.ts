/**
 * Merchants: a sortable, paged table of the merchants of mart_merchant_daily over a date range, with their
 * totals, the last day's net amount and a sparkline of the daily net amount. Sorting picks one of a fixed set of
 * orders; the request names the order, never its SQL.
 */

import { listValue } from '@duckdb/node-api';
import { dateRange } from '../../core/dates.ts';
import { sqlFile } from '../data/gold-database.ts';
import { latestLogicalDate } from '../data/latest-date.ts';
import type { WebPage } from '../page-registry.ts';
import { DEFAULT_RANGE_DAYS } from './sales-page.ts';

export const PAGE_SIZE = 25;
const MAX_PAGE = 10_000;

/** Sortable columns → their ORDER BY expression in merchant-page.sql. */
const SORTS = {
  merchant_id: 'merchant_id',
  merchant_name: 'merchant_name',
  merchant_category: 'merchant_category',
  purchases: 'purchases',
  purchase_amount: 'purchase_amount',
  refund_amount: 'refund_amount',
  net_amount: 'net_amount',
  last_day_net_amount: 'last_day_net_amount',
  active_days: 'active_days',
  customer_days: 'customer_days',
} as const;
type SortColumn = keyof typeof SORTS;
const SORT_COLUMNS = Object.keys(SORTS) as SortColumn[];

export const merchantsPage: WebPage = {
  id: 'merchants',
  path: '/merchants',
  title: 'Merchants',
  summary:
    'Every merchant with purchases or refunds in the range: totals, the last day and the daily net amount.',
  charts: false,
  body: `
<form class="filters" method="get" action="/merchants">
  <label>From <input type="date" name="from"></label>
  <label>To <input type="date" name="to"></label>
  <label>Category <select name="category"><option value="">All categories</option></select></label>
  <label>Search <input type="search" name="q" maxlength="60" placeholder="merchant id or name"></label>
  <input type="hidden" name="sort">
  <input type="hidden" name="dir">
  <button type="submit">Apply</button>
  <a class="reset" href="/merchants">Reset</a>
</form>
<section class="card">
  <p class="context" id="match-count"></p>
  <div id="table-merchants"></div>
  <nav class="pager" id="pager" aria-label="Pages"></nav>
</section>`,

  async load(query, data) {
    const requested = query.requestedRange();
    const search = query.text('q', 60);
    const sort = query.oneOf('sort', SORT_COLUMNS) || 'net_amount';
    const dir = query.oneOf('dir', ['asc', 'desc'] as const) || 'desc';
    const page = query.integer('page', 1, 1, MAX_PAGE);
    const latest = await latestLogicalDate(data.gold);
    const categories = (await data.gold.query(sqlFile('merchant-options'))).map((row) =>
      String(row['value']),
    );
    const range = requested.resolve(latest, DEFAULT_RANGE_DAYS);
    const category = query.oneOf('category', categories);
    const sql = sqlFile('merchant-page').replaceAll('{{order_by}}', `${SORTS[sort]} ${dir}`);
    const rows = await data.gold.query(sql, {
      ...range,
      category,
      search,
      limit: PAGE_SIZE,
      offset: (page - 1) * PAGE_SIZE,
    });
    const ids = rows.map((row) => String(row['merchant_id']));
    const daily = ids.length
      ? await data.gold.query(sqlFile('merchant-daily'), { ...range, merchant_ids: listValue(ids) })
      : [];
    const dates = dateRange(range.from, range.to);
    const matched = Number(rows[0]?.['matched_merchants'] ?? 0);
    return {
      latest,
      filters: { ...range, category, q: search, sort, dir, page },
      options: { category: categories },
      matched,
      page,
      pages: Math.max(1, Math.ceil(matched / PAGE_SIZE)),
      page_size: PAGE_SIZE,
      dates,
      merchants: rows.map((row) => {
        const own = daily.filter((day) => day['merchant_id'] === row['merchant_id']);
        const { matched_merchants: _, ...figures } = row;
        return {
          ...figures,
          daily_net_amount: dates.map(
            (date) => own.find((day) => day['event_date'] === date)?.['net_amount'] ?? '0.00',
          ),
        };
      }),
    };
  },
};
