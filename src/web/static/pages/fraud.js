// Fraud: amount (bars) and rate (line) of fraud-labelled transactions by day, category, channel and country.
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
    total('fraud_count', 'Fraud transactions', format.count(t.fraud_count)),
    total('fraud_rate', 'Fraud rate', format.rate(t.fraud_rate)),
    total('fraud_amount', 'Fraud amount', format.money(t.fraud_amount)),
  );
  fraudChart('chart-day', data.by_day, { label: shortDate, title: format.day });
  const pretty = (name) => name.replaceAll('_', ' ');
  fraudChart('chart-category', data.by_category, { label: pretty, rotate: 35 });
  fraudChart('chart-channel', data.by_channel, {});
  const countries = data.other_countries ? [...data.by_country, data.other_countries] : data.by_country;
  fraudChart('chart-country', countries, {});
  fill('table-country', table('countries', COUNTRY_COLUMNS, countries, { key: (row) => row.member }));
});

function fraudChart(id, rows, { label = (name) => name, title = (name) => name, rotate = 0 }) {
  const empty = rows.every((row) => row.transactions === 0);
  makeChart(id, {
    tooltip: axisTooltip((name) => title(name)),
    legend: { top: 0 },
    xAxis: {
      type: 'category',
      data: rows.map((row) => row.member),
      axisLabel: { formatter: label, rotate, interval: rotate ? 0 : 'auto' },
    },
    yAxis: [
      { type: 'value', name: 'fraud amount', axisLabel: { formatter: format.moneyShort } },
      {
        type: 'value',
        name: 'fraud rate',
        axisLabel: { formatter: (value) => format.rate(value.toFixed(4)) },
        splitLine: { show: false },
      },
    ],
    graphic: empty ? [noData()] : [],
    series: [
      {
        name: 'Fraud amount',
        type: 'bar',
        data: rows.map((row) => point(Number(row.fraud_amount), format.money(row.fraud_amount))),
      },
      {
        name: 'Fraud rate',
        type: 'line',
        yAxisIndex: 1,
        symbolSize: 6,
        data: rows.map((row) =>
          point(
            row.fraud_rate === null ? null : Number(row.fraud_rate),
            `${format.rate(row.fraud_rate)} (${format.count(row.fraud_count)} of ${format.count(row.transactions)})`,
          ),
        ),
      },
    ],
  });
}

function total(id, label, value) {
  return h('article', { class: 'tile', dataset: { total: id } }, h('h3', {}, label), valueText(value));
}

const COUNTRY_COLUMNS = [
  { id: 'member', label: 'Country' },
  { id: 'transactions', label: 'Transactions', numeric: true, format: format.count },
  { id: 'fraud_count', label: 'Fraud transactions', numeric: true, format: format.count },
  { id: 'fraud_rate', label: 'Fraud rate', numeric: true, format: format.rate },
  { id: 'fraud_amount', label: 'Fraud amount', numeric: true, format: format.money },
];
