/**
 * Lineage and docs: the model graph (sources and seeds → staging → core → marts) and, for the chosen node, its
 * relation, description, SQL, columns with descriptions and tests, and each test's latest result. Read from
 * the model project, like `fintech-etl models docs`; the results from the run state (latest-test-results.ts).
 */
import { latestTestResults } from '../data/latest-test-results.ts';
import type { WebPage } from '../page-registry.ts';

export const lineagePage: WebPage = {
  id: 'lineage',
  path: '/lineage',
  title: 'Lineage',
  summary:
    'How each warehouse model is built: its inputs, SQL, columns and tests. Click a node for its docs.',
  charts: true,
  body: `
<section class="card"><h2>Model graph</h2><div class="chart tall" id="chart-lineage"></div></section>
<section class="card" id="node-docs"></section>`,

  async load(_query, data) {
    const [docs, testResults] = await Promise.all([data.lineage.read(), latestTestResults(data.runs)]);
    return { ...docs, test_results: testResults };
  },
};
