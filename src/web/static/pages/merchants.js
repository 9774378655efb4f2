// Merchants: one page of the sortable table, each row with a sparkline of its daily net amount.
import { emptyNote, fill, h } from '../lib/dom.js';
import * as format from '../lib/format.js';
import { loadPage, setUpFilters, withQuery } from '../lib/page.js';
import { table } from '../lib/table.js';

const SVG = 'http://www.w3.org/2000/svg';

loadPage((data) => {
  setUpFilters(data.filters, data.options);
  const { from, to } = data.filters;
  fill(
    'match-count',
    `${format.count(data.matched)} merchants with purchases or refunds from ${format.day(from)} to ${format.day(to)}` +
      (data.matched ? ` · page ${format.count(data.page)} of ${format.count(data.pages)}` : ''),
  );
  const columns = [
    { id: 'merchant_id', label: 'Merchant', sortable: true },
    {
      id: 'merchant_name',
      label: 'Name',
      sortable: true,
      format: (name) => h('span', { class: 'name-cell', title: name }, name),
    },
    { id: 'merchant_category', label: 'Category', sortable: true, format: (v) => v.replaceAll('_', ' ') },
    { id: 'purchases', label: 'Purchases', numeric: true, sortable: true, format: format.count },
    { id: 'purchase_amount', label: 'Purchase amount', numeric: true, sortable: true, format: format.money },
    { id: 'refund_amount', label: 'Refund amount', numeric: true, sortable: true, format: format.money },
    { id: 'net_amount', label: 'Net amount', numeric: true, sortable: true, format: format.money },
    {
      id: 'last_day_net_amount',
      label: `Net on ${format.shortDay(to)}`,
      numeric: true,
      sortable: true,
      format: format.money,
    },
    {
      id: 'daily_net_amount',
      label: 'Daily net amount',
      format: (values, row) => sparkline(values, data.dates, row),
    },
  ];
  const sort = {
    column: data.filters.sort,
    dir: data.filters.dir,
    link: (column, dir) => withQuery({ sort: column, dir, page: '' }),
  };
  fill(
    'table-merchants',
    data.merchants.length
      ? table('merchants', columns, data.merchants, { key: (row) => row.merchant_id, sort })
      : emptyNote('No merchant matches these filters.'),
  );
  fill('pager', pager(data.page, data.pages));
});

/** A line of the daily net amounts, with the zero line when the amounts go negative. */
function sparkline(values, dates, merchant) {
  const days = `${format.count(merchant.active_days)} of ${format.count(dates.length)} days with purchases or refunds`;
  const width = 120;
  const height = 28;
  const numbers = values.map(Number);
  const low = Math.min(0, ...numbers);
  const high = Math.max(...numbers, low + 1);
  const x = (i) => (numbers.length === 1 ? width / 2 : (i / (numbers.length - 1)) * (width - 2) + 1);
  const y = (v) => height - 2 - ((v - low) / (high - low)) * (height - 4);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('role', 'img');
  const label = `${merchant.merchant_id}: daily net amount from ${dates[0]} to ${dates.at(-1)} (${days})`;
  svg.setAttribute('aria-label', label);
  const title = document.createElementNS(SVG, 'title');
  title.textContent = label;
  svg.append(title);
  if (low < 0) {
    const zero = document.createElementNS(SVG, 'line');
    for (const [name, value] of Object.entries({ x1: 0, x2: width, y1: y(0), y2: y(0), class: 'zero' }))
      zero.setAttribute(name, String(value));
    svg.append(zero);
  }
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', numbers.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '));
  svg.append(line);
  return svg;
}

function pager(page, pages) {
  if (pages <= 1) return [];
  const link = (target, text, label) =>
    target === page
      ? h('span', { class: 'current', 'aria-current': 'page' }, text)
      : h('a', { href: withQuery({ page: target === 1 ? '' : target }), 'aria-label': label }, text);
  const numbers = [...new Set([1, page - 2, page - 1, page, page + 1, page + 2, pages])]
    .filter((n) => n >= 1 && n <= pages)
    .sort((a, b) => a - b);
  const items = [];
  if (page > 1) items.push(link(page - 1, '‹ Previous', 'previous page'));
  numbers.forEach((n, i) => {
    if (i > 0 && n - numbers[i - 1] > 1) items.push(h('span', { class: 'gap' }, '…'));
    items.push(link(n, format.count(n), `page ${n}`));
  });
  if (page < pages) items.push(link(page + 1, 'Next ›', 'next page'));
  return items;
}
