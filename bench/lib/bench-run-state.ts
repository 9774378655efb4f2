/**
 * Run state for the web bench when its home has none (`demo` runs the pipeline without the control plane): a
 * year of runs of a DAG shaped like the daily one, made by the real executor (runDag on the home's SQLite state,
 * logs under `<home>/logs`), with a silver try logging as many statements as a real one, a retried `load` every
 * 7th date and every 10th date failing in `tests` with three failed checks (SQL and sample rows) in its log.
 */
import { join } from 'node:path';
import { addDays, type IsoDate } from '../../src/core/dates.ts';
import { defineDag } from '../../src/orchestrator/definitions/dag.ts';
import { defineTask } from '../../src/orchestrator/definitions/task-definition.ts';
import { runDag } from '../../src/orchestrator/execution/run-dag.ts';
import { SqliteStateStore } from '../../src/orchestrator/state/sqlite/sqlite-state-store.ts';

const STATEMENTS_PER_SILVER_TRY = 80;

function benchDag(dayIndex: number) {
  const silver = defineTask({
    name: 'silver',
    run: async ({ logicalDate }, { events }) => {
      for (let i = 0; i < STATEMENTS_PER_SILVER_TRY; i++)
        events.emit({
          kind: 'statement-timed',
          engine: 'duckdb',
          seconds: 0.01 * i,
          ok: true,
          sql: `create or replace temp table step_${i} as select * from read_json_auto('bronze/transactions/ingest_date=${logicalDate}/part-0000${i % 4}.jsonl') where amount > 0 and status in ('approved', 'declined', 'reversed')`,
        });
      return { rows: 100_000 };
    },
  });
  const quality = defineTask({
    name: 'quality',
    dependsOn: [silver],
    run: async () => ({ outcome: 'passed' }),
  });
  const load = defineTask({
    name: 'load',
    dependsOn: [quality],
    retry: { retries: 2, retryDelay: 0 },
    run: async (_input, { tryNumber }) => {
      if (dayIndex % 7 === 3 && tryNumber === 1) throw new Error('could not connect to warehouse: timeout');
      return { rows: 100_000 };
    },
  });
  const models = defineTask({ name: 'models', dependsOn: [load], run: async () => ({ built: 16 }) });
  const tests = defineTask({
    name: 'tests',
    dependsOn: [models],
    retry: { retries: 1, retryDelay: 0 },
    run: async (_input, { events }) => {
      if (dayIndex % 10 !== 5) return { passed: 47 };
      for (const column of ['customer_id', 'merchant_id', 'amount_reporting'])
        events.emit({
          kind: 'check-failed',
          check: 'test',
          name: `not_null_fact_transactions_${column}`,
          severity: 'error',
          status: 'fail',
          failures: 5,
          details: '5 offending rows in fact_transactions',
          sql: `select *\nfrom "core"."fact_transactions"\nwhere "${column}" is null\n`,
          sample: Array.from({ length: 5 }, (_, i) => ({
            transaction_id: `t-${dayIndex}-${i}`,
            customer_id: null,
            amount: '12345.67',
            event_date: '2025-03-01',
          })),
        });
      throw new Error('3 model tests failed');
    },
  });
  const gold = defineTask({ name: 'gold', dependsOn: [tests], run: async () => ({ marts: 6 }) });
  return defineDag({ name: 'daily_batch_etl', tasks: [silver, quality, load, models, tests, gold] });
}

/** Fills `<home>/state.db` with `days` dates of runs ending on `lastDay`, unless it holds runs already. */
export async function fillRunState(home: string, lastDay: IsoDate, days: number): Promise<void> {
  const store = new SqliteStateStore(join(home, 'state.db'));
  try {
    if ((await store.listRuns({ limit: 1 })).length > 0) return;
    const started = performance.now();
    for (let index = 0; index < days; index++) {
      await runDag({
        dag: benchDag(index),
        store,
        logicalDate: addDays(lastDay, index - days + 1),
        logsDir: join(home, 'logs'),
      });
    }
    console.log(
      `  run state: ${days} dates of runs written in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  } finally {
    await store.close();
  }
}
