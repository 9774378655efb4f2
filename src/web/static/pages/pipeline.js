// Pipeline: the run grid (logical dates × tasks), a run's tries, log and failure report on click (the run, task
// and try go in the URL, so a click is a link and the back button returns), plan, workers, and for the operator
// buttons that start `fintech-etl run` / `backfill`. While something runs, the page refreshes itself.
import { emptyNote, fill, h } from '../lib/dom.js';
import * as format from '../lib/format.js';
import { loadPage, setUpFilters } from '../lib/page.js';
import { table } from '../lib/table.js';

const REFRESH_MS = 3000;
const STATE_LABELS = {
  success: 'success',
  failed: 'failed',
  running: 'running',
  queued: 'queued',
  skipped: 'skipped',
  upstream_failed: 'upstream failed',
};
const operator = document.body.dataset.operator === 'true';
const loginAvailable = document.body.dataset.login === 'true';
let refreshTimer;

loadPage((data) => {
  setUpFilters(data.filters, data.options);
  renderOperator(data);
  renderAll(data);
  showDetail();
  window.addEventListener('popstate', showDetail);
  document.getElementById('content').addEventListener('click', (event) => {
    const link = event.target.closest('a[data-detail]');
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    history.pushState(null, '', link.getAttribute('href'));
    showDetail();
  });
});

function renderAll(data) {
  renderGrid(data);
  renderPlan(data);
  renderWorkers(data.workers);
  renderLaunches(data.launches);
  scheduleRefresh(data);
}

/** Refreshes grid, plan, launches and the open run while a run or a launch is still going. */
function scheduleRefresh(data) {
  clearTimeout(refreshTimer);
  const active =
    data.launches.some((launch) => launch.running) ||
    data.grid.rows.some((row) => row.run && !row.run.stale && ['running', 'queued'].includes(row.run.state));
  if (!active) return;
  refreshTimer = setTimeout(async () => {
    const response = await fetch(`${document.body.dataset.api}${location.search}`, {
      headers: { accept: 'application/json' },
    });
    if (!response.ok) return;
    const next = await response.json();
    if (next.empty) return;
    renderAll(next);
    if (new URLSearchParams(location.search).get('run')) showDetail({ keepScroll: true });
  }, REFRESH_MS);
}

/** The current URL with run/task/try set (or removed): what a click on the grid opens. */
function detailLink(run, task, attempt) {
  const query = new URLSearchParams(location.search);
  for (const [name, value] of [
    ['run', run],
    ['task', task],
    ['try', attempt],
  ]) {
    if (value === undefined || value === null || value === '') query.delete(name);
    else query.set(name, String(value));
  }
  const search = query.toString();
  return `${location.pathname}${search ? `?${search}` : ''}`;
}

function stateBadge(state, extra = '') {
  return h('span', { class: `state st-${state}`, dataset: { state } }, STATE_LABELS[state] ?? state, extra);
}

function renderGrid(data) {
  const { grid } = data;
  const ran = grid.rows.filter((row) => row.run).length;
  fill(
    'grid-hint',
    `DAG ${data.dag ?? '—'}, logical dates ${format.day(data.filters.from)} … ${format.day(data.filters.to)}: ` +
      `${ran} of ${grid.rows.length} dates have run. Each cell is the task in the date's latest run; ` +
      '“×2” means it took two tries. Click a cell for its tries and log.',
  );
  fill(
    'grid-legend',
    Object.keys(STATE_LABELS).map((state) => stateBadge(state)),
    h('span', { class: 'state st-none' }, 'not run'),
  );
  if (grid.rows.length === 0 || ran === 0) {
    fill(
      'grid',
      data.state_store
        ? emptyNote('No runs in these dates yet.')
        : h(
            'p',
            { class: 'empty', id: 'no-runs' },
            'No runs yet: nothing has recorded a run in the state store of this home. Run a date with ',
            h('code', {}, 'fintech-etl run --date D'),
            ', or see the plan below.',
          ),
    );
    return;
  }
  const head = h(
    'tr',
    {},
    h('th', { scope: 'col' }, 'Logical date'),
    h('th', { scope: 'col' }, 'Run'),
    grid.tasks.map((task) => h('th', { scope: 'col', class: 'task' }, task)),
  );
  const body = grid.rows.map((row) =>
    h(
      'tr',
      { dataset: { date: row.date } },
      h(
        'th',
        { scope: 'row', class: 'nowrap' },
        format.shortDay(row.date),
        h('br'),
        h('small', {}, row.date),
      ),
      h('td', { class: 'run-cell' }, runSummary(row)),
      grid.tasks.map((task) => gridCell(row, task)),
    ),
  );
  fill(
    'grid',
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'run-grid', dataset: { table: 'runs' } },
        h('thead', {}, head),
        h('tbody', {}, body),
      ),
    ),
  );
}

function runSummary(row) {
  if (!row.run) return h('span', { class: 'muted' }, 'not run');
  const run = row.run;
  const state = run.stale ? 'failed' : run.state;
  return h(
    'a',
    {
      href: detailLink(run.run_id),
      dataset: { detail: 'run' },
      title: run.error ?? `${run.trigger} run ${run.run_id}`,
    },
    stateBadge(state, run.stale ? ' (no heartbeat)' : ''),
    row.runs > 1 ? h('small', { class: 'runs' }, ` ${row.runs} runs`) : '',
  );
}

function gridCell(row, task) {
  const cell = row.cells[task];
  if (!cell) return h('td', { class: 'cell st-none', dataset: { task, state: 'none' } }, '');
  const tries = cell.tries > 1 ? `×${cell.tries}` : '';
  const title =
    `${task} ${STATE_LABELS[cell.state] ?? cell.state} on ${row.date}` +
    (cell.tries ? `, ${cell.tries} ${cell.tries === 1 ? 'try' : 'tries'}` : '') +
    (cell.reused ? ', output reused from an earlier run' : '');
  return h(
    'td',
    { class: `cell st-${cell.state}`, dataset: { task, state: cell.state, tries: String(cell.tries) } },
    h(
      'a',
      { href: detailLink(row.run.run_id, task), dataset: { detail: 'cell' }, title, 'aria-label': title },
      h('span', { class: 'cell-state' }, shortState(cell.state)),
      tries ? h('span', { class: 'tries' }, tries) : '',
      cell.reused ? h('span', { class: 'tries' }, '↺') : '',
    ),
  );
}

function shortState(state) {
  return (
    { success: '✓', failed: '✗', running: '▶', queued: '…', skipped: '–', upstream_failed: '⤓' }[state] ?? '?'
  );
}

async function showDetail(options = {}) {
  const section = document.getElementById('run-detail');
  const query = new URLSearchParams(location.search);
  if (!query.get('run')) {
    section.hidden = true;
    section.replaceChildren();
    return;
  }
  section.hidden = false;
  if (!options.keepScroll) section.replaceChildren(h('p', { class: 'hint' }, 'Loading the run…'));
  const response = await fetch(`/api/pipeline/run${location.search}`, {
    headers: { accept: 'application/json' },
  });
  const data = await response.json();
  if (!response.ok) {
    section.replaceChildren(
      h('h2', {}, 'Run'),
      h('p', { class: 'error' }, data.error ?? `The server answered ${response.status}.`),
      h('a', { href: detailLink(), dataset: { detail: 'close' } }, 'Close'),
    );
    return;
  }
  renderDetail(section, data);
  if (!options.keepScroll) section.scrollIntoView({ block: 'start' });
}

function renderDetail(section, data) {
  const { run } = data;
  const header = h(
    'div',
    { class: 'detail-head' },
    h('h2', {}, `Run of ${format.day(run.logical_date)} `, stateBadge(run.stale ? 'failed' : run.state)),
    h('a', { href: detailLink(), dataset: { detail: 'close' }, class: 'close' }, 'Close ✕'),
  );
  const facts = h(
    'dl',
    { class: 'facts' },
    fact('Run id', h('code', {}, run.run_id)),
    fact('DAG', run.dag),
    fact('Trigger', run.trigger),
    fact('Started', format.timestamp(run.started_at)),
    fact(
      'Finished',
      run.finished_at
        ? format.timestamp(run.finished_at)
        : run.stale
          ? 'never: its process died'
          : 'still running',
    ),
    fact('Process', `pid ${run.pid} on ${run.host}: ${run.command}`),
    run.as_of_date ? fact('Marts as of', run.as_of_date) : null,
    run.error ? fact('Error', h('span', { class: 'error', id: 'run-error' }, run.error)) : null,
  );
  const others =
    data.runs_of_date.length > 1
      ? h(
          'p',
          { class: 'hint' },
          `${data.runs_of_date.length} runs of this date: `,
          data.runs_of_date.map((other, i) => [
            i ? ', ' : '',
            other.run_id === run.run_id
              ? h('strong', {}, format.timestamp(other.started_at))
              : h(
                  'a',
                  { href: detailLink(other.run_id), dataset: { detail: 'run' } },
                  format.timestamp(other.started_at),
                ),
            ` (${other.trigger}, ${STATE_LABELS[other.state] ?? other.state})`,
          ]),
        )
      : null;
  section.replaceChildren(
    header,
    facts,
    others ?? '',
    data.failure ? failureReport(data.failure) : '',
    h('h3', {}, 'Tasks and tries'),
    triesTable(data),
    data.log ? logView(data.log) : h('p', { class: 'hint' }, 'Click a try above to read its log.'),
  );
}

function fact(label, value) {
  return [h('dt', {}, label), h('dd', {}, value)];
}

function failureReport(report) {
  const task = report.task;
  return h(
    'div',
    { class: 'failure', id: 'failure-report' },
    h('h3', {}, 'Why it failed'),
    task
      ? h(
          'p',
          {},
          'Task ',
          h('strong', { id: 'failed-task' }, task.name),
          ` failed on try ${task.try_number}${task.tries > 1 ? ` of ${task.tries}` : ''}`,
          task.failure_kind && task.failure_kind !== 'error' ? ` (${task.failure_kind})` : '',
          `, on ${task.host}:`,
        )
      : h(
          'p',
          {},
          `The run ${report.failure_kind === 'stopped' ? 'was stopped' : 'failed'} before any task failed.`,
        ),
    h(
      'p',
      { class: 'error-sentence', id: 'failure-error' },
      task?.error ?? report.error ?? 'no error recorded',
    ),
    report.upstream_failed.length
      ? h('p', { class: 'hint' }, `Not run because of it: ${report.upstream_failed.join(', ')}.`)
      : '',
    report.checks.length ? h('h4', {}, 'Failed checks') : '',
    report.checks.map(checkView),
    report.last_lines.length ? h('h4', {}, 'Last lines of its log') : '',
    report.last_lines.length ? logLines(report.last_lines, 'failure-lines') : '',
    task && !task.log_available
      ? h('p', { class: 'hint' }, `Its log is on ${task.host}, not on this machine.`)
      : '',
  );
}

function checkView(check) {
  const columns = [...new Set(check.sample.flatMap((row) => Object.keys(row)))];
  return h(
    'article',
    { class: 'check', dataset: { check: check.name } },
    h(
      'p',
      {},
      h('strong', {}, check.check === 'quality' ? 'Expectation ' : 'Test '),
      h('code', {}, check.name),
      ` — ${check.status}${check.severity === 'warn' ? ' (warn)' : ''}`,
      check.failures !== null ? `, ${format.count(check.failures)} offending` : '',
    ),
    h('p', { class: 'check-details' }, check.details),
    check.sql ? h('pre', { class: 'sql check-sql' }, check.sql) : '',
    columns.length
      ? table(
          `sample-${check.name}`,
          columns.map((column) => ({ id: column, label: column, format: sampleValue })),
          check.sample,
        )
      : '',
  );
}

function sampleValue(value) {
  if (value === null || value === undefined) return h('span', { class: 'muted' }, 'null');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function triesTable(data) {
  const rows = data.tasks.flatMap((task) =>
    task.tries.length
      ? task.tries.map((attempt) => ({ ...attempt, task: task.task, instance: task.state }))
      : [{ task: task.task, instance: task.state, try_number: null, state: task.state }],
  );
  const open = data.log;
  return table(
    'tries',
    [
      { id: 'task', label: 'Task' },
      {
        id: 'try_number',
        label: 'Try',
        format: (value, row) =>
          value === null
            ? h('span', { class: 'muted' }, row.instance === 'success' ? 'reused' : 'not run')
            : open && open.task === row.task && open.try_number === value
              ? h('strong', {}, `try ${value} (open)`)
              : h(
                  'a',
                  { href: detailLink(data.run.run_id, row.task, value), dataset: { detail: 'try' } },
                  `try ${value}`,
                ),
      },
      { id: 'state', label: 'State', format: (value) => stateBadge(value) },
      { id: 'started_at', label: 'Started', format: format.timestamp, nowrap: true },
      {
        id: 'seconds',
        label: 'Seconds',
        numeric: true,
        format: (value) => (value === null || value === undefined ? '—' : value.toFixed(1)),
      },
      { id: 'host', label: 'Where', format: (value, row) => (value ? `${value} (pid ${row.pid})` : '—') },
      {
        id: 'error',
        label: 'Error',
        format: (value, row) => (value ? `${row.failure_kind ? `[${row.failure_kind}] ` : ''}${value}` : ''),
      },
    ],
    rows,
    { key: (row) => `${row.task}/${row.try_number ?? 0}` },
  );
}

function logView(log) {
  return h(
    'div',
    { class: 'log', id: 'try-log', dataset: { task: log.task, try: String(log.try_number) } },
    h('h3', {}, `Log of ${log.task}, try ${log.try_number} `, stateBadge(log.state)),
    log.available
      ? [
          log.omitted
            ? h('p', { class: 'hint' }, `${format.count(log.omitted)} earlier lines not shown.`)
            : '',
          log.lines.length ? logLines(log.lines, 'log-lines') : emptyNote('The log is empty.'),
          log.partial_line
            ? h('p', { class: 'hint' }, `Cut short (the process died while writing): ${log.partial_line}`)
            : '',
        ]
      : h('p', { class: 'hint' }, `This try ran on ${log.host}; its log is on that machine, not here.`),
  );
}

function logLines(lines, id) {
  return h(
    'ol',
    { class: 'log-lines', id },
    lines.map((line) =>
      h(
        'li',
        { class: `log-${line.kind}`, dataset: { kind: line.kind } },
        h('time', { datetime: line.ts }, line.ts.slice(11, 23)),
        h('span', { class: 'kind' }, line.kind),
        line.detail
          ? h('details', {}, h('summary', {}, line.text), h('pre', {}, line.detail))
          : h('span', { class: 'text' }, line.text),
      ),
    ),
  );
}

function renderPlan(data) {
  const { plan } = data;
  const counts = Object.entries(plan.counts)
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
  const rows = plan.dates;
  fill(
    'plan',
    h('p', { class: 'hint', id: 'plan-counts' }, counts ? `These dates: ${counts}.` : 'No dates.'),
    rows.length
      ? table(
          'plan',
          [
            { id: 'date', label: 'Date', format: (value) => h('span', { class: 'nowrap' }, value) },
            {
              id: 'status',
              label: 'Status',
              format: (value) => h('span', { class: `plan-status ps-${value.replaceAll(' ', '-')}` }, value),
            },
            { id: 'reasons', label: 'Why', format: (value) => value.join('; ') },
            { id: 'tasks', label: 'Would run', format: (value) => (value.length ? value.join(', ') : '—') },
            ...(operator
              ? [
                  {
                    id: 'would_run',
                    label: '',
                    format: (value, row) =>
                      value
                        ? h(
                            'button',
                            {
                              type: 'button',
                              class: 'small',
                              dataset: { run: row.date },
                              onclick: () => runDate(row.date, false),
                            },
                            'Run',
                          )
                        : '',
                  },
                ]
              : []),
          ],
          rows,
          { key: (row) => row.date },
        )
      : emptyNote('Every date in this range is up to date.'),
  );
}

function renderWorkers(workers) {
  if (!workers || workers.length === 0) {
    fill(
      'workers',
      h(
        'p',
        { class: 'empty' },
        'No workers: the local executor runs every task inside the ',
        h('code', {}, 'run'),
        ', ',
        h('code', {}, 'backfill'),
        ' or scheduler process.',
      ),
    );
    return;
  }
  fill(
    'workers',
    table(
      'workers',
      [
        { id: 'host', label: 'Host' },
        { id: 'pid', label: 'Pid', numeric: true },
        { id: 'running', label: 'Running', format: (value) => (value.length ? value.join(', ') : 'idle') },
        { id: 'heartbeat_at', label: 'Last heartbeat', format: format.timestamp },
        {
          id: 'alive',
          label: '',
          format: (value) =>
            value ? h('span', { class: 'ok' }, 'live') : h('span', { class: 'bad' }, 'silent'),
        },
      ],
      workers,
      { key: (row) => row.id },
    ),
  );
}

function renderOperator(data) {
  const section = document.getElementById('operator');
  if (!operator) {
    section.replaceChildren(
      h('h2', {}, 'Run dates'),
      h(
        'p',
        { class: 'hint' },
        loginAvailable
          ? [
              h(
                'a',
                { href: `/login?next=${encodeURIComponent(location.pathname + location.search)}` },
                'Sign in',
              ),
              ' with the operator token to run or backfill dates from this page.',
            ]
          : 'This page is read-only: set serve.token (or FINTECH_ETL_OPERATOR_TOKEN) to run or backfill dates from it.',
      ),
    );
    return;
  }
  const latest = data.latest;
  section.replaceChildren(
    h('h2', {}, 'Run dates'),
    h(
      'p',
      { class: 'hint' },
      'Starts the CLI on this machine, with this home: it takes the writer lease like any run, and its run shows in the grid below.',
    ),
    h(
      'div',
      { class: 'operator-forms' },
      h(
        'form',
        {
          class: 'inline',
          id: 'rerun-form',
          onsubmit: (event) => {
            event.preventDefault();
            const form = event.target;
            runDate(form.elements.date.value, form.elements.force.checked);
          },
        },
        h(
          'label',
          {},
          'Logical date ',
          h('input', { type: 'date', name: 'date', required: true, value: latest }),
        ),
        h(
          'label',
          { class: 'check' },
          h('input', { type: 'checkbox', name: 'force' }),
          ' rerun every task (--force)',
        ),
        h('button', { type: 'submit' }, 'Run date'),
      ),
      h(
        'form',
        {
          class: 'inline',
          id: 'backfill-form',
          onsubmit: (event) => {
            event.preventDefault();
            backfill(event.target);
          },
        },
        h(
          'label',
          {},
          'From ',
          h('input', { type: 'date', name: 'from', required: true, value: data.filters.from }),
        ),
        h(
          'label',
          {},
          'to ',
          h('input', { type: 'date', name: 'to', required: true, value: data.filters.to }),
        ),
        h(
          'label',
          {},
          'Reprocess ',
          h(
            'select',
            { name: 'reprocess' },
            h('option', { value: '' }, 'default'),
            ['none', 'failed', 'all'].map((value) => h('option', { value }, value)),
          ),
        ),
        h('button', { type: 'submit' }, 'Backfill'),
      ),
    ),
    h('p', { class: 'operator-message', id: 'operator-message', role: 'status' }),
    h('div', { id: 'launches' }),
  );
}

function renderLaunches(launches) {
  const target = document.getElementById('launches');
  if (!target) return;
  if (!launches.length) {
    target.replaceChildren();
    return;
  }
  target.replaceChildren(
    h('h3', {}, 'Started from this page'),
    table(
      'launches',
      [
        { id: 'command', label: 'Command', format: (value) => h('code', {}, value) },
        { id: 'started_at', label: 'Started', format: format.timestamp, nowrap: true },
        {
          id: 'running',
          label: 'Status',
          format: (value, row) =>
            value
              ? stateBadge('running')
              : row.exit_code === 0
                ? stateBadge('success', ' (exit 0)')
                : stateBadge('failed', row.signal ? ` (${row.signal})` : ` (exit ${row.exit_code})`),
        },
        {
          id: 'output_tail',
          label: 'Output',
          format: (value) =>
            value.length
              ? h('details', {}, h('summary', {}, value.at(-1)), h('pre', {}, value.join('\n')))
              : '—',
        },
      ],
      launches,
      { key: (row) => row.id },
    ),
  );
}

async function runDate(date, force) {
  await post('/api/pipeline/rerun', { date, force });
}

async function backfill(form) {
  const body = { from: form.elements.from.value, to: form.elements.to.value };
  if (form.elements.reprocess.value) body.reprocess = form.elements.reprocess.value;
  await post('/api/pipeline/backfill', body);
}

async function post(path, body) {
  const message = document.getElementById('operator-message');
  message.className = 'operator-message';
  message.textContent = 'Starting…';
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    message.className = 'operator-message error';
    message.textContent = answer.error ?? `The server answered ${response.status}.`;
    return;
  }
  message.textContent = answer.message;
  const refreshed = await fetch(`${document.body.dataset.api}${location.search}`, {
    headers: { accept: 'application/json' },
  });
  if (refreshed.ok) renderAll(await refreshed.json());
}
