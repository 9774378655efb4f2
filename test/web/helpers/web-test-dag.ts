/**
 * A small DAG shaped like the daily one (silver → load → tests → gold) for the Pipeline page's tests: its
 * `load` can fail its first try (a retry the grid shows as ×2), and its `tests` task can run real model tests
 * (the fixture project on an in-memory DuckDB) that fail, logging each failed test's SQL and sample rows as the
 * daily run's `tests` task does, then throwing.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProject } from '../../../src/models/project/load-project.ts';
import { runModels } from '../../../src/models/run/run-models.ts';
import { testModels } from '../../../src/models/testing/test-models.ts';
import { testCheckEvents } from '../../../src/orchestrator/check-failed-events.ts';
import { type Dag, defineDag } from '../../../src/orchestrator/definitions/dag.ts';
import { defineTask } from '../../../src/orchestrator/definitions/task-definition.ts';
import { DuckDBWarehouse } from '../../../src/warehouse/duckdb/duckdb-warehouse.ts';

export const WEB_TEST_DAG = 'web_test_etl';
export const WEB_TEST_TASKS = ['silver', 'load', 'tests', 'gold'];
const FIXTURE = fileURLToPath(new URL('../../fixtures/model-project', import.meta.url));

/** Payments of the fixture project whose model tests fail (payment 4: amount 20.00; payment 5: no label). */
const FAILING_PAYMENTS = [
  [1, 'c1', '2024-01-01', '10.00', 'APPROVED', '2024-01-01 10:00:00'],
  [2, 'c1', '2024-01-01', '6.00', 'approved', '2024-01-02 09:00:00'],
  [3, 'c2', '2024-01-01', '7.25', 'declined', '2024-01-01 12:00:00'],
  [4, 'c2', '2024-01-02', '20.00', 'approved', '2024-01-02 10:00:00'],
  [5, 'c3', '2024-01-02', '1.00', 'reversed', '2024-01-02 11:00:00'],
];

export interface WebTestDagOptions {
  /** `load`'s first try of a run fails (connection refused), its second succeeds. */
  flakyLoad?: boolean;
  /** `tests` runs the fixture's model tests on data that fails them, twice (one retry). */
  failingTests?: boolean;
}

export function webTestDag(options: WebTestDagOptions = {}): Dag {
  const silver = defineTask({
    name: 'silver',
    run: async ({ logicalDate }, { events }) => {
      events.emit({ kind: 'notice', message: `read bronze partition ingest_date=${logicalDate}: 5 rows` });
      return { rows: 5 };
    },
  });
  const load = defineTask({
    name: 'load',
    dependsOn: [silver],
    retry: { retries: 2, retryDelay: 0 },
    run: async (_input, { tryNumber }) => {
      if (options.flakyLoad && tryNumber === 1)
        throw new Error('could not connect to warehouse at 127.0.0.1:5432: connection refused');
      return { loaded: 5 };
    },
  });
  const tests = defineTask({
    name: 'tests',
    dependsOn: [load],
    retry: { retries: 1, retryDelay: 0 },
    run: async (_input, { events }) => {
      if (!options.failingTests) return { passed: 12 };
      const warehouse = await DuckDBWarehouse.open(':memory:');
      try {
        await warehouse.createTableFromRows(
          { schema: 'staging', name: 'raw_payments' },
          [
            { name: 'payment_id', type: 'integer' },
            { name: 'customer_id', type: 'varchar' },
            { name: 'event_date', type: 'date' },
            { name: 'amount', type: 'decimal(18,2)' },
            { name: 'status', type: 'varchar' },
            { name: 'updated_at', type: 'timestamp' },
          ],
          FAILING_PAYMENTS.map((row) => row.map(String)),
        );
        const project = loadProject(FIXTURE);
        await runModels({ warehouse, project, fullRefresh: true });
        const result = await testModels({ warehouse, project });
        for (const event of testCheckEvents(result.tests)) events.emit(event);
        const failed = result.tests.filter((test) => test.status === 'fail').map((test) => test.name);
        if (failed.length) throw new Error(`${failed.length} model tests failed: ${failed.join(', ')}`);
        return { passed: result.tests.length };
      } finally {
        await warehouse.close();
      }
    },
  });
  const gold = defineTask({
    name: 'gold',
    dependsOn: [tests],
    run: async () => ({ marts: 6 }),
  });
  return defineDag({ name: WEB_TEST_DAG, tasks: [silver, load, tests, gold] });
}

/** `<home>/logs`, where the CLI writes run and try logs. */
export function logsDirOf(home: string): string {
  return join(home, 'logs');
}
