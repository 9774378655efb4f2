// Lineage: the model graph in columns (sources and seeds → staging → core → marts); a click on a node shows its
// docs below and puts it in the URL (?node=…), so a node's docs are a link and the back button returns.
import { itemTooltip, makeChart } from '../lib/charts.js';
import { emptyNote, fill, h } from '../lib/dom.js';
import { loadPage } from '../lib/page.js';
import { table } from '../lib/table.js';

const LAYERS = ['sources & seeds', 'staging', 'core', 'marts', 'other'];
/** Light fills: sources and seeds by kind, models by layer (staging, core, marts, other). */
const NODE_FILL = {
  source: '#e5e7eb',
  seed: '#ecfccb',
  1: '#cffafe',
  2: '#dbeafe',
  3: '#ede9fe',
  4: '#fef3c7',
};
const NODE_WIDTH = 196;
const NODE_HEIGHT = 28;
const COLUMN_WIDTH = 300;
const ROW_HEIGHT = 44;

let testResults = null;

loadPage((data) => {
  testResults = data.test_results;
  const byId = new Map(data.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  const children = new Map();
  for (const edge of data.edges) {
    parents.set(edge.to, [...(parents.get(edge.to) ?? []), edge.from]);
    children.set(edge.from, [...(children.get(edge.from) ?? []), edge.to]);
  }
  const chart = drawGraph(data);
  const show = () => {
    const id = new URLSearchParams(location.search).get('node');
    const node = byId.get(id) ?? null;
    chart.dispatchAction({ type: 'unselect', seriesIndex: 0, dataIndex: data.nodes.map((_, i) => i) });
    if (node) chart.dispatchAction({ type: 'select', seriesIndex: 0, dataIndex: data.nodes.indexOf(node) });
    renderDocs(node, byId, parents, children);
  };
  chart.on('click', (event) => {
    if (event.dataType !== 'node') return;
    history.pushState(null, '', `?node=${encodeURIComponent(event.data.id)}`);
    show();
  });
  window.addEventListener('popstate', show);
  document.getElementById('node-docs').addEventListener('click', (event) => {
    const link = event.target.closest('a[data-node]');
    if (!link) return;
    event.preventDefault();
    history.pushState(null, '', link.getAttribute('href'));
    show();
  });
  show();
});

function drawGraph(data) {
  const perLayer = new Map();
  for (const node of data.nodes) perLayer.set(node.layer, [...(perLayer.get(node.layer) ?? []), node]);
  const layers = [...perLayer.keys()].sort((a, b) => a - b);
  const tallest = Math.max(...[...perLayer.values()].map((nodes) => nodes.length));
  const position = new Map();
  for (const [layer, nodes] of perLayer) {
    const offset = ((tallest - nodes.length) * ROW_HEIGHT) / 2;
    nodes.forEach((node, i) => {
      position.set(node.id, [layers.indexOf(layer) * COLUMN_WIDTH, offset + i * ROW_HEIGHT]);
    });
  }
  const element = document.getElementById('chart-lineage');
  element.style.height = `${Math.max(360, tallest * ROW_HEIGHT + 90)}px`;
  const chart = makeChart('chart-lineage', {
    tooltip: itemTooltip((p) =>
      p.dataType === 'node'
        ? {
            title: p.data.id,
            lines: [
              ['relation', p.data.node.relation ?? '(inlined)'],
              ['built as', p.data.node.materialized ?? p.data.node.kind],
            ],
          }
        : { title: `${p.data.source} → ${p.data.target}`, lines: [] },
    ),
    series: [
      {
        type: 'graph',
        layout: 'none',
        top: 56,
        bottom: 24,
        left: NODE_WIDTH / 2 + 8,
        right: NODE_WIDTH / 2 + 8,
        symbol: 'roundRect',
        symbolSize: [NODE_WIDTH, NODE_HEIGHT],
        selectedMode: 'single',
        select: { itemStyle: { borderColor: '#111827', borderWidth: 3 }, label: { fontWeight: 700 } },
        label: { show: true, position: 'inside', fontSize: 12, color: '#111827' },
        edgeSymbol: ['none', 'arrow'],
        edgeSymbolSize: 7,
        lineStyle: { color: '#94a3b8', width: 1.2, curveness: 0.12, opacity: 0.9 },
        emphasis: { focus: 'adjacency', lineStyle: { width: 2.5, color: '#1f2937' } },
        data: data.nodes.map((node) => ({
          id: node.id,
          name: node.id,
          node,
          x: position.get(node.id)[0],
          y: position.get(node.id)[1],
          label: { formatter: node.name },
          itemStyle: {
            color: NODE_FILL[node.kind === 'model' ? Math.min(node.layer, 4) : node.kind],
            borderColor: '#94a3b8',
            borderWidth: 1,
          },
        })),
        links: data.edges.map((edge) => ({ source: edge.from, target: edge.to })),
      },
    ],
  });
  // Column headings over the nodes of each layer, placed where the chart put that layer.
  const placeHeadings = () => {
    chart.setOption({
      graphic: layers.map((layer, i) => ({
        type: 'text',
        x: chart.convertToPixel({ seriesIndex: 0 }, [i * COLUMN_WIDTH, 0])[0],
        y: 14,
        style: {
          text: LAYERS[Math.min(layer, LAYERS.length - 1)],
          textAlign: 'center',
          fontSize: 13,
          fontWeight: 600,
          fill: '#4b5563',
        },
      })),
    });
  };
  let placedAtWidth = 0;
  chart.on('finished', () => {
    if (chart.getWidth() === placedAtWidth) return;
    placedAtWidth = chart.getWidth();
    placeHeadings();
  });
  return chart;
}

function nodeLink(id) {
  return h('a', { href: `?node=${encodeURIComponent(id)}`, dataset: { node: id } }, id);
}

function renderDocs(node, byId, parents, children) {
  if (!node) {
    fill(
      'node-docs',
      h('h2', {}, 'Docs'),
      emptyNote('Click a node of the graph to see its SQL, columns and tests.'),
      h(
        'ul',
        { class: 'node-list' },
        [...byId.values()].filter((n) => n.kind === 'model').map((n) => h('li', {}, nodeLink(n.id))),
      ),
    );
    return;
  }
  const list = (ids) =>
    ids?.length
      ? h(
          'ul',
          { class: 'inline-list' },
          ids.map((id) => h('li', {}, nodeLink(id))),
        )
      : '—';
  fill(
    'node-docs',
    h('h2', {}, node.name, h('span', { class: 'badge' }, node.materialized ?? node.kind)),
    node.description ? h('p', {}, node.description) : emptyNote('No description.'),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Relation'),
      h('dd', {}, h('code', {}, node.relation ?? '(inlined into its readers)')),
      node.path ? [h('dt', {}, 'File'), h('dd', {}, h('code', {}, node.path))] : [],
      node.tags.length ? [h('dt', {}, 'Tags'), h('dd', {}, node.tags.join(', '))] : [],
      h('dt', {}, 'Built from'),
      h('dd', {}, list(parents.get(node.id))),
      h('dt', {}, 'Feeds'),
      h('dd', {}, list(children.get(node.id))),
    ),
    h('h3', {}, 'Columns'),
    node.columns.length
      ? table('columns', COLUMN_COLUMNS, node.columns, { key: (column) => column.name })
      : emptyNote('No documented columns.'),
    h('h3', {}, 'Tests'),
    resultsNote(),
    node.tests.length
      ? h(
          'ul',
          { class: 'tests' },
          node.tests.map((test) =>
            h('li', { dataset: { test: test.name } }, resultBadge(test), ' ', h('code', {}, test.text)),
          ),
        )
      : emptyNote('No model-level tests.'),
    node.sql ? [h('h3', {}, 'SQL'), h('pre', { class: 'sql' }, h('code', {}, node.sql))] : [],
  );
}

const COLUMN_COLUMNS = [
  { id: 'name', label: 'Column', format: (name) => h('code', {}, name) },
  { id: 'description', label: 'Description', format: (text) => text ?? '—' },
  {
    id: 'tests',
    label: 'Tests',
    format: (tests) =>
      tests.length
        ? tests.map((test, i) =>
            h(
              'span',
              { class: 'test', dataset: { test: test.name } },
              i ? '; ' : '',
              resultBadge(test),
              ' ',
              test.text,
            ),
          )
        : '—',
  },
];

const RESULT_STATES = {
  pass: ['success', 'pass'],
  fail: ['failed', 'fail'],
  warn: ['upstream_failed', 'warn'],
  error: ['failed', 'error'],
};

/** Where the results come from: the latest run whose tests task ran. */
function resultsNote() {
  if (!testResults)
    return h('p', { class: 'hint' }, 'No results yet: no run in the state store has run the tests.');
  const link = h(
    'a',
    {
      href: `/pipeline?run=${encodeURIComponent(testResults.run_id)}&task=tests&dag=${encodeURIComponent(testResults.dag)}`,
    },
    `the run of ${testResults.logical_date}`,
  );
  return h(
    'p',
    { class: 'hint', id: 'test-results-note' },
    testResults.judged
      ? ['Latest results: ', link, '.']
      : ['The latest tests task (', link, ') failed before it judged the tests.'],
  );
}

function resultBadge(test) {
  if (!testResults?.judged) return '';
  const result = testResults.results[test.name];
  const status = result ? result.status : 'pass';
  const [state, label] = RESULT_STATES[status] ?? ['skipped', status];
  return h(
    'span',
    {
      class: `state st-${state}`,
      dataset: { result: status },
      title: result?.failures ? `${result.failures} offending rows` : undefined,
    },
    label,
  );
}
