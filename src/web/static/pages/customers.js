// Customers: RFM segments, the cohort retention heatmap, the lifetime value histogram and the top customers.
import { axisTooltip, itemTooltip, makeChart, noData, point } from '../lib/charts.js';
import { emptyNote, fill } from '../lib/dom.js';
import * as format from '../lib/format.js';
import { loadPage, setUpFilters } from '../lib/page.js';
import { table } from '../lib/table.js';

loadPage((data) => {
  setUpFilters(data.filters, data.options);
  const customers = data.segments.reduce((sum, segment) => sum + segment.customers, 0);
  fill(
    'as-of',
    `As of ${format.day(data.as_of)}: ${format.count(customers)} customers with at least one purchase.`,
  );
  segmentsChart(data.segments);
  cohortChart(data.cohorts);
  ltvChart(data.ltv, data.filters.segment);
  fill(
    'table-top',
    data.top_customers.length
      ? table('top-customers', TOP_COLUMNS, data.top_customers, { key: (row) => row.customer_id })
      : emptyNote('No customer in this segment.'),
  );
});

function segmentsChart(segments) {
  makeChart('chart-segments', {
    tooltip: axisTooltip(),
    legend: { top: 0 },
    xAxis: { type: 'category', data: segments.map((s) => s.segment), axisLabel: { interval: 0, rotate: 30 } },
    yAxis: [
      { type: 'value', name: 'customers', minInterval: 1, axisLabel: { formatter: format.count } },
      {
        type: 'value',
        name: 'net value',
        axisLabel: { formatter: format.moneyShort },
        splitLine: { show: false },
      },
    ],
    series: [
      {
        name: 'Customers',
        type: 'bar',
        data: segments.map((s) => point(s.customers, format.count(s.customers))),
      },
      {
        name: 'Net value',
        type: 'bar',
        yAxisIndex: 1,
        data: segments.map((s) => point(Number(s.monetary), format.money(s.monetary))),
      },
    ],
  });
}

function cohortChart(cohorts) {
  const months = [...new Set(cohorts.map((c) => c.cohort_month))].sort();
  const offsets = Math.max(0, ...cohorts.map((c) => c.months_since_first)) + 1;
  const labels = cohorts.length <= 200;
  makeChart('chart-cohorts', {
    tooltip: itemTooltip((p) => {
      const c = p.data.cohort;
      return {
        title: `${format.month(c.cohort_month)} cohort, month ${c.months_since_first}`,
        lines: [
          ['Retention', format.rate(c.retention_rate)],
          ['Active customers', `${format.count(c.active_customers)} of ${format.count(c.cohort_size)}`],
        ],
      };
    }),
    grid: { left: 12, right: 70, top: 16, bottom: 12, containLabel: true },
    xAxis: {
      type: 'category',
      name: 'months since first purchase',
      nameLocation: 'middle',
      nameGap: 28,
      data: Array.from({ length: offsets }, (_, i) => String(i)),
    },
    yAxis: { type: 'category', data: months.map(format.month), inverse: true },
    visualMap: {
      min: 0,
      max: 1,
      calculable: false,
      orient: 'vertical',
      right: 0,
      top: 'middle',
      itemHeight: 140,
      text: ['100%', '0%'],
      inRange: { color: ['#eff6ff', '#93c5fd', '#1d4ed8'] },
    },
    graphic: cohorts.length ? [] : [noData('No cohorts yet')],
    series: [
      {
        name: 'Retention',
        type: 'heatmap',
        label: { show: labels, formatter: (p) => format.rate(p.data.cohort.retention_rate), fontSize: 10 },
        data: cohorts.map((c) => ({
          value: [c.months_since_first, months.indexOf(c.cohort_month), Number(c.retention_rate)],
          cohort: c,
          shown: format.rate(c.retention_rate),
        })),
      },
    ],
  });
}

function ltvChart(ltv, segment) {
  const bins = ltv.bins;
  fill(
    'ltv-hint',
    ltv.customers
      ? `${format.count(ltv.customers)} customers${segment ? ` in ${segment}` : ''}, in bins of ${format.money(ltv.width)}; ` +
          `the last bin holds everyone from ${format.money(bins.at(-1).from)} up (the highest is ${format.money(ltv.highest)}).`
      : 'No customer in this segment.',
  );
  const label = (bin) =>
    bin.to === null ? `≥ ${format.money(bin.from)}` : `${format.money(bin.from)} – ${format.money(bin.to)}`;
  makeChart('chart-ltv', {
    tooltip: axisTooltip(),
    xAxis: {
      type: 'category',
      name: 'lifetime net value',
      nameLocation: 'middle',
      nameGap: 32,
      data: bins.map(label),
      axisLabel: {
        formatter: (_value, index) =>
          bins[index].to === null
            ? `≥ ${format.moneyShort(Number(bins[index].from))}`
            : format.moneyShort(Number(bins[index].from)),
      },
    },
    yAxis: { type: 'value', name: 'customers', minInterval: 1, axisLabel: { formatter: format.count } },
    grid: { left: 12, right: 24, top: 40, bottom: 40, containLabel: true },
    graphic: bins.length ? [] : [noData()],
    series: [
      {
        name: 'Customers',
        type: 'bar',
        barCategoryGap: '8%',
        data: bins.map((bin) => point(bin.customers, format.count(bin.customers))),
      },
    ],
  });
}

const TOP_COLUMNS = [
  { id: 'customer_id', label: 'Customer' },
  { id: 'segment', label: 'Segment' },
  { id: 'purchases', label: 'Purchases', numeric: true, format: format.count },
  { id: 'refunds', label: 'Refunds', numeric: true, format: format.count },
  { id: 'net_revenue', label: 'Net value', numeric: true, format: format.money },
  { id: 'average_order_value', label: 'Average order', numeric: true, format: format.money },
  { id: 'projected_12m_value', label: '12-month projection', numeric: true, format: format.money },
  { id: 'first_purchase_date', label: 'First purchase', format: format.day },
  { id: 'last_purchase_date', label: 'Last purchase', format: format.day },
];
