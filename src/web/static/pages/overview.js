// Overview: KPI tiles of a logical date against the same weekday a week before, and the ledger's latest
// processed ingest dates.
import { emptyNote, fill, h, valueText } from '../lib/dom.js';
import * as format from '../lib/format.js';
import { loadPage, setUpFilters } from '../lib/page.js';
import { table } from '../lib/table.js';

loadPage((data) => {
  setUpFilters({ date: data.date });
  fill(
    'kpi-context',
    `Event date ${format.day(data.date)}${data.date === data.latest ? ' (the latest logical date)' : ''}, ` +
      `against ${format.day(data.week_before)}.`,
    data.has_data ? '' : ' No transactions have this event date.',
  );
  fill(
    'kpis',
    data.kpis.map((kpi) => tile(kpi, data.week_before)),
  );
  fill(
    'runs',
    data.last_runs.length
      ? table('last-runs', RUN_COLUMNS, data.last_runs, { key: (row) => row.run_id })
      : h(
          'p',
          { class: 'empty' },
          'No runs recorded yet: ',
          h('code', {}, 'fintech-etl run --date D'),
          ' records one.',
        ),
  );
  fill(
    'ledger',
    data.ledger.length
      ? table('ledger', LEDGER_COLUMNS, data.ledger, { key: (row) => row.ingest_date })
      : emptyNote('No bronze partition has been processed yet.'),
  );
});

function shown(kpi, value) {
  if (kpi.unit === 'money') return format.money(value);
  if (kpi.unit === 'rate') return format.rate(value);
  return format.count(value);
}

function tile(kpi, weekBefore) {
  let tone = 'neutral';
  let arrow = '';
  if (kpi.change && Number(kpi.change.value) !== 0) {
    const up = !kpi.change.value.startsWith('-');
    arrow = up ? '▲' : '▼';
    tone = up === (kpi.better === 'up') ? 'good' : 'bad';
  }
  return h(
    'article',
    { class: 'tile', dataset: { kpi: kpi.id } },
    h('h3', {}, kpi.label),
    valueText(shown(kpi, kpi.value)),
    h(
      'p',
      { class: `change ${tone}` },
      kpi.change
        ? `${arrow} ${format.change(kpi.change)} vs ${format.shortDay(weekBefore)}`
        : 'no figure a week before',
    ),
    h(
      'p',
      { class: 'note' },
      kpi.note,
      kpi.previous !== null ? ` · week before ${shown(kpi, kpi.previous)}` : '',
    ),
  );
}

const RUN_STATES = { success: 'success', failed: 'failed', running: 'running', queued: 'queued' };

const RUN_COLUMNS = [
  {
    id: 'logical_date',
    label: 'Logical date',
    format: (value, row) =>
      h(
        'a',
        { href: `/pipeline?run=${encodeURIComponent(row.run_id)}&dag=${encodeURIComponent(row.dag)}` },
        value,
      ),
  },
  {
    id: 'state',
    label: 'State',
    format: (value) => h('span', { class: `state st-${value}` }, RUN_STATES[value] ?? value),
  },
  { id: 'trigger', label: 'Trigger' },
  { id: 'started_at', label: 'Started', format: format.timestamp },
  { id: 'finished_at', label: 'Finished', format: format.timestamp },
  { id: 'error', label: 'Why it failed', format: (value) => value ?? '' },
];

const LEDGER_COLUMNS = [
  {
    id: 'ingest_date',
    label: 'Ingest date',
    format: (value) => h('a', { href: `/data-health?from=${value}&to=${value}` }, value),
  },
  { id: 'bronze_rows', label: 'Bronze rows', numeric: true, format: format.count },
  { id: 'inserted', label: 'Inserted', numeric: true, format: format.count },
  { id: 'superseded', label: 'Superseded', numeric: true, format: format.count },
  { id: 'duplicates', label: 'Duplicates', numeric: true, format: format.count },
  { id: 'quarantined', label: 'Quarantined', numeric: true, format: format.count },
  { id: 'late_rows', label: 'Late rows', numeric: true, format: format.count },
  {
    id: 'balanced',
    label: 'Adds up',
    format: (value) => h('span', { class: value ? 'ok' : 'bad' }, value ? '✓ yes' : '✗ no'),
  },
  { id: 'processed_at', label: 'Processed', format: format.timestamp },
  { id: 'runs', label: 'Runs', numeric: true, format: format.count },
];
