// Data health: the ledger equation per ingest date, the quarantine by reason with samples, late arrivals.
import { axisTooltip, makeChart, noData, point, shortDate } from '../lib/charts.js';
import { emptyNote, fill, h } from '../lib/dom.js';
import * as format from '../lib/format.js';
import { loadPage, setUpFilters, withQuery } from '../lib/page.js';
import { table } from '../lib/table.js';

/** The ledger's outcomes, stacked from the bottom: the small ones first, so the axis break below shows them. */
const OUTCOMES = [
  ['quarantined', 'Quarantined', '#ef4444'],
  ['duplicates', 'Duplicates', '#64748b'],
  ['superseded', 'Superseded', '#2563eb'],
  ['inserted', 'Inserted', '#10b981'],
];

loadPage((data) => {
  setUpFilters(data.filters, data.options);
  ledgerChart(data.ledger);
  fill(
    'table-ledger',
    data.ledger.length
      ? table('ledger', LEDGER_COLUMNS, [...data.ledger].reverse(), { key: (row) => row.ingest_date })
      : emptyNote('No ingest date in this range.'),
  );
  reasonsChart(data.quarantine_by_reason, data.filters.reason);
  lateChart(data.late_by_days);
  qualityTables(data.quality);
  fill(
    'samples-hint',
    `Up to ${data.sample_limit} records, newest ingest date first` +
      (data.filters.reason ? `, with reason ${data.filters.reason.replaceAll('_', ' ')}` : '') +
      '. Card numbers are masked.',
  );
  fill(
    'table-samples',
    data.samples.length
      ? table('samples', SAMPLE_COLUMNS, data.samples, { key: (row) => `${row.source_file}:${row.line}` })
      : emptyNote('No quarantined record in this range.'),
  );
});

function ledgerChart(ledger) {
  const dates = ledger.map((row) => row.ingest_date);
  const breaks = axisBreak(ledger);
  fill(
    'ledger-break-note',
    breaks.length
      ? 'The zigzag marks where the value axis skips a range, so the small parts stay visible.'
      : '',
  );
  makeChart('chart-ledger', {
    tooltip: axisTooltip(format.day),
    legend: { top: 0, data: ['Inserted', 'Superseded', 'Duplicates', 'Quarantined', 'Bronze rows'] },
    xAxis: { type: 'category', data: dates, axisLabel: { formatter: shortDate } },
    yAxis: {
      type: 'value',
      name: 'rows',
      minInterval: 1,
      axisLabel: { formatter: format.count },
      breaks,
      breakArea: { expandOnClick: false },
    },
    graphic: ledger.length ? [] : [noData()],
    series: [
      ...OUTCOMES.map(([id, name, color]) => ({
        name,
        type: 'bar',
        stack: 'outcome',
        color,
        data: ledger.map((row) => point(row[id], format.count(row[id]))),
      })),
      {
        name: 'Bronze rows',
        type: 'scatter',
        symbol: 'rect',
        symbolSize: [18, 3],
        color: '#1f2937',
        data: ledger.map((row) => point(row.bronze_rows, format.count(row.bronze_rows))),
      },
    ],
  });
}

/**
 * Inserted rows outnumber the others a hundredfold: the value axis skips the range between the tallest stack of
 * superseded, duplicate and quarantined rows and the shortest bar, so both ends of every bar are readable.
 */
function axisBreak(ledger) {
  if (ledger.length === 0) return [];
  const small = Math.max(...ledger.map((row) => row.superseded + row.duplicates + row.quarantined));
  const shortest = Math.min(...ledger.map((row) => row.bronze_rows));
  const start = niceCeil(small * 1.2);
  const end = niceFloor(shortest * 0.97);
  return end > start * 3 ? [{ start, end, gap: '8%' }] : [];
}

function niceCeil(value) {
  const step = 10 ** Math.max(0, Math.floor(Math.log10(Math.max(1, value))) - 1);
  return Math.ceil(value / step) * step;
}

function niceFloor(value) {
  const step = 10 ** Math.max(0, Math.floor(Math.log10(Math.max(1, value))) - 1);
  return Math.floor(value / step) * step;
}

function reasonsChart(reasons, selected) {
  const chart = makeChart('chart-reasons', {
    tooltip: axisTooltip((name) => name.replaceAll('_', ' ')),
    grid: { left: 24, right: 32, top: 12, bottom: 12, containLabel: true },
    xAxis: { type: 'value', minInterval: 1, axisLabel: { formatter: format.count } },
    yAxis: {
      type: 'category',
      inverse: true,
      data: reasons.map((r) => r.reason),
      axisLabel: { formatter: (name) => name.replaceAll('_', ' ') },
    },
    graphic: reasons.length ? [] : [noData('Nothing quarantined')],
    series: [
      {
        name: 'Records',
        type: 'bar',
        color: '#ef4444',
        barMaxWidth: 28,
        cursor: 'pointer',
        data: reasons.map((r) => ({
          ...point(r.rows, format.count(r.rows)),
          itemStyle: selected && selected !== r.reason ? { opacity: 0.35 } : undefined,
        })),
      },
    ],
  });
  chart.on('click', (event) => {
    const reason = reasons[event.dataIndex]?.reason;
    if (reason) location.assign(withQuery({ reason: reason === selected ? '' : reason }));
  });
}

function lateChart(late) {
  makeChart('chart-late', {
    tooltip: axisTooltip((days) => `${days} ${days === '1' ? 'day' : 'days'} late`),
    xAxis: {
      type: 'category',
      name: 'days late',
      nameLocation: 'middle',
      nameGap: 28,
      data: late.map((l) => String(l.days)),
    },
    yAxis: { type: 'value', name: 'rows', minInterval: 1, axisLabel: { formatter: format.count } },
    grid: { left: 12, right: 24, top: 40, bottom: 36, containLabel: true },
    graphic: late.length ? [] : [noData('No late rows')],
    series: [
      {
        name: 'Late rows',
        type: 'bar',
        color: '#f59e0b',
        data: late.map((l) => point(l.rows, format.count(l.rows))),
      },
    ],
  });
}

function qualityTables(quality) {
  fill(
    'table-quality-days',
    quality.days.length
      ? table('quality-days', QUALITY_DAY_COLUMNS, quality.days, { key: (row) => row.ingest_date })
      : emptyNote('No quality gate run in this range.'),
  );
  fill(
    'quality-latest-title',
    quality.latest ? `Every expectation of ${format.day(quality.latest.ingest_date)}` : '',
  );
  // Open when something needs a look; a day where everything passed stays one line.
  document.getElementById('quality-latest').open = Boolean(
    quality.latest?.results.some((row) => row.status === 'FAIL' || row.status === 'WARN'),
  );
  document.getElementById('quality-latest').hidden = !quality.latest;
  fill(
    'table-quality-results',
    quality.latest
      ? table('quality-results', QUALITY_RESULT_COLUMNS, quality.latest.results, { key: (row) => row.key })
      : '',
  );
}

const GATE_STATUS = { PASS: 'success', FAIL: 'failed', WARN: 'upstream_failed', SKIP: 'skipped' };

const QUALITY_DAY_COLUMNS = [
  { id: 'ingest_date', label: 'Ingest date', format: format.day, nowrap: true },
  {
    id: 'outcome',
    label: 'Gate',
    format: (value, row) =>
      h(
        'span',
        { class: `state st-${value === 'passed' ? 'success' : row.accepted ? 'upstream_failed' : 'failed'}` },
        value === 'passed' ? 'passed' : row.accepted ? 'failed, accepted' : 'failed, held',
      ),
  },
  {
    id: 'counts',
    label: 'Expectations',
    format: (c) =>
      `${c.passed} passed, ${c.failed} failed, ${c.warned} warned, ${c.not_evaluated} not evaluated`,
  },
  { id: 'evaluated_at', label: 'Evaluated', format: format.timestamp },
  { id: 'docs', label: 'Data docs', format: (href) => h('a', { href }, 'results and samples') },
];

const QUALITY_RESULT_COLUMNS = [
  {
    id: 'status',
    label: 'Status',
    format: (value) => h('span', { class: `state st-${GATE_STATUS[value]}` }, value.toLowerCase()),
  },
  {
    id: 'expectation',
    label: 'Expectation',
    format: (value, row) => [
      h('code', {}, value),
      h('div', { class: 'muted' }, `${row.suite} · ${row.severity}`),
    ],
  },
  { id: 'partition', label: 'Partition', nowrap: true },
  { id: 'observed', label: 'Observed', format: (value) => h('code', { class: 'raw' }, value) },
  { id: 'details', label: 'Details' },
];

const LEDGER_COLUMNS = [
  { id: 'ingest_date', label: 'Ingest date', format: format.day },
  { id: 'bronze_rows', label: 'Bronze rows', numeric: true, format: format.count },
  { id: 'inserted', label: 'Inserted', numeric: true, format: format.count },
  { id: 'superseded', label: 'Superseded', numeric: true, format: format.count },
  { id: 'duplicates', label: 'Duplicates', numeric: true, format: format.count },
  { id: 'quarantined', label: 'Quarantined', numeric: true, format: format.count },
  {
    id: 'balanced',
    label: 'Adds up',
    format: (value) => h('span', { class: value ? 'ok' : 'bad' }, value ? '✓ yes' : '✗ no'),
  },
  { id: 'late_rows', label: 'Late rows', numeric: true, format: format.count },
  { id: 'runs', label: 'Runs', numeric: true, format: format.count },
  { id: 'processed_at', label: 'Processed', format: format.timestamp },
];

const SAMPLE_COLUMNS = [
  { id: 'ingest_date', label: 'Ingest date', format: format.day, nowrap: true },
  {
    id: 'source_file',
    label: 'File and line',
    nowrap: true,
    format: (file, row) => `${file.split('/').at(-1)}:${row.line}`,
  },
  { id: 'reason_codes', label: 'Reasons', format: (codes) => codes.replaceAll('_', ' ') },
  { id: 'raw_record', label: 'Record as received', format: (raw) => h('code', { class: 'raw' }, raw) },
];
