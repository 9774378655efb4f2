/**
 * `audit.runs` in the warehouse: a read-only copy of the state store's runs for SQL users (`fintech-etl query
 * "select * from audit.runs"`, BI tools), rewritten as runs change. The state store stays the source of truth:
 * nothing reads this table back, so a warehouse that was down while a run changed only has a stale row until the
 * next mirror of that run.
 */
import type { ColumnSpec } from '../core/column-type.ts';
import type { Relation, Warehouse } from '../warehouse/warehouse.ts';
import type { StateStore } from './state/state-store.ts';

export const AUDIT_RUNS: Relation = { schema: 'audit', name: 'runs' };

const varchar = (maxLength: number) => ({ kind: 'varchar', maxLength }) as const;

export const AUDIT_RUNS_COLUMNS: ColumnSpec[] = [
  { name: 'run_id', type: varchar(256) },
  { name: 'dag', type: varchar(64) },
  { name: 'logical_date', type: { kind: 'date' } },
  { name: 'as_of_date', type: { kind: 'date' } },
  { name: 'state', type: varchar(16) },
  { name: 'failure_kind', type: varchar(16) },
  { name: 'error', type: varchar(1000) },
  { name: 'trigger', type: varchar(16) },
  { name: 'started_at', type: { kind: 'timestamp' } },
  { name: 'finished_at', type: { kind: 'timestamp' } },
  /** JSON: `[{"task": "silver", "state": "success", "tries": 1}, …]` in DAG order. */
  { name: 'tasks', type: varchar(4000) },
];

/** Rewrites the rows of these runs from the state store (a run the store does not have is left alone). */
export async function mirrorRuns(
  warehouse: Warehouse,
  store: StateStore,
  runIds: readonly string[],
  order: readonly string[] = [],
): Promise<void> {
  const rows: (string | null)[][] = [];
  for (const runId of new Set(runIds)) {
    const run = await store.getRun(runId);
    if (!run) continue;
    const [instances, tries] = await Promise.all([store.taskInstances(runId), store.tries(runId)]);
    // The DAG's order when given, else the order the tasks started in.
    const started = (task: string) =>
      Math.min(
        ...tries.filter((attempt) => attempt.task === task).map((attempt) => attempt.startedAt.getTime()),
        Number.MAX_SAFE_INTEGER,
      );
    const rank = (task: string) => (order.includes(task) ? order.indexOf(task) : order.length);
    const tasks = [...instances]
      .sort((a, b) => rank(a.task) - rank(b.task) || started(a.task) - started(b.task))
      .map((instance) => ({
        task: instance.task,
        state: instance.state,
        tries: tries.filter((attempt) => attempt.task === instance.task).length,
      }));
    rows.push([
      run.runId,
      run.dag,
      run.logicalDate,
      run.asOfDate ?? null,
      run.state,
      run.failureKind ?? null,
      run.error?.slice(0, 1000) ?? null,
      run.trigger,
      timestamp(run.startedAt),
      run.finishedAt ? timestamp(run.finishedAt) : null,
      JSON.stringify(tasks),
    ]);
  }
  if (rows.length === 0) return;
  await ensureRunsTable(warehouse);
  const ids = rows.map((row) => warehouse.quoteLiteral(row[0]!)).join(', ');
  // Not one transaction: a reader may miss a row for the moment between the two, which a copy can afford.
  await warehouse.execute(`delete from ${warehouse.quoteRelation(AUDIT_RUNS)} where run_id in (${ids})`);
  await warehouse.insertRows(
    AUDIT_RUNS,
    AUDIT_RUNS_COLUMNS.map((column) => column.name),
    rows,
  );
}

/** Creates the table; one of another shape (the run history of earlier versions) is replaced: it is a copy. */
async function ensureRunsTable(warehouse: Warehouse): Promise<void> {
  await warehouse.ensureSchema(AUDIT_RUNS.schema);
  const kind = await warehouse.relationKind(AUDIT_RUNS);
  if (kind) {
    const names = (await warehouse.columns(AUDIT_RUNS)).map((column) => column.name).join(',');
    if (names === AUDIT_RUNS_COLUMNS.map((column) => column.name).join(',')) return;
    await warehouse.drop(AUDIT_RUNS);
  }
  await warehouse.createTable(AUDIT_RUNS, AUDIT_RUNS_COLUMNS);
}

function timestamp(at: Date): string {
  return at.toISOString().replace('T', ' ').replace('Z', '');
}
