// Sales: daily net amount, the same by category and by channel (stacked), and the table of days — all from one
// data request, narrowed by the filters in the URL.
import { axisTooltip, makeChart, noData, point, shortDate } from '../lib/charts.js';
import { fill, h, valueText } from '../lib/dom.js';
import * as format from '../lib/format.js';
import { loadPage, setUpFilters } from '../lib/page.js';
import { table } from '../lib/table.js';

loadPage((data) => {
  setUpFilters(data.filters, data.options);
  const t = data.totals;
  fill(
    'totals',
    total('transactions', 'Transactions', format.count(t.transactions)),
    total('purchase_amount', 'Purchase amount', format.money(t.purchase_amount)),
    total('refund_amount', 'Refund amount', format.money(t.refund_amount)),
    total('net_amount', 'Net amount', format.money(t.net_amount)),
    total('approval_rate', 'Approval rate', format.rate(t.approval_rate)),
  );
  const empty = data.days.every((day) => day.transactions === 0);
  const dates = data.dates;
  const moneyAxis = { type: 'value', axisLabel: { formatter: format.moneyShort } };
  const dateAxis = { type: 'category', data: dates, axisLabel: { formatter: shortDate } };
  makeChart('chart-daily', {
    tooltip: axisTooltip(format.day),
    xAxis: dateAxis,
    yAxis: moneyAxis,
    graphic: empty ? [noData()] : [],
    series: [
      {
        name: 'Net amount',
        type: 'line',
        symbolSize: 6,
        data: data.days.map((day) => point(Number(day.net_amount), format.money(day.net_amount))),
      },
    ],
  });
  for (const [id, series] of [
    ['chart-category', data.by_category],
    ['chart-channel', data.by_channel],
  ]) {
    makeChart(id, {
      tooltip: axisTooltip(format.day),
      legend: { type: 'scroll', top: 0, formatter: (name) => name.replaceAll('_', ' ') },
      xAxis: dateAxis,
      yAxis: moneyAxis,
      graphic: empty ? [noData()] : [],
      series: series.map((member) => ({
        name: member.name,
        type: 'bar',
        stack: 'net',
        data: dates.map((date) => {
          const amount = member.net_amount[date] ?? '0.00';
          return point(Number(amount), format.money(amount));
        }),
      })),
    });
  }
  fill('table-days', table('days', DAY_COLUMNS, [...data.days].reverse(), { key: (row) => row.date }));
});

function total(id, label, value) {
  return h('article', { class: 'tile', dataset: { total: id } }, h('h3', {}, label), valueText(value));
}

const DAY_COLUMNS = [
  { id: 'date', label: 'Event date', format: format.day },
  { id: 'transactions', label: 'Transactions', numeric: true, format: format.count },
  { id: 'purchases', label: 'Purchases', numeric: true, format: format.count },
  { id: 'purchase_amount', label: 'Purchase amount', numeric: true, format: format.money },
  { id: 'refunds', label: 'Refunds', numeric: true, format: format.count },
  { id: 'refund_amount', label: 'Refund amount', numeric: true, format: format.money },
  { id: 'net_amount', label: 'Net amount', numeric: true, format: format.money },
  { id: 'approval_rate', label: 'Approval rate', numeric: true, format: format.rate },
];
