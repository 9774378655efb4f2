/**
 * `models test`: runs each test's query; zero rows = pass. For a failing test (error or warn) the count and a
 * sample of offending rows (JSON) are appended to `audit.test_failures` under the run id — one row per test
 * and run, never overwritten, so past runs' failures stay inspectable.
 */
import { newRunId } from '../../core/run-id.ts';
import type { QueryResult, Relation, Warehouse } from '../../warehouse/warehouse.ts';
import { ModelCompiler } from '../compile/model-compiler.ts';
import { ModelGraph } from '../graph/model-graph.ts';
import { selectModels } from '../graph/select-models.ts';
import type { ModelProject, Severity } from '../project/model-project.ts';
import { type CompiledTest, compileTests, SCOPED_ROWS } from './compile-tests.ts';

export const TEST_FAILURES: Relation = { schema: 'audit', name: 'test_failures' };
const SAMPLE_ROWS = 5;
const SAMPLE_MAX_CHARS = 60_000;

export interface TestResult {
  name: string;
  model: string;
  severity: Severity;
  /** pass: no rows; warn/fail: rows found (by severity); error: the query itself failed. */
  status: 'pass' | 'warn' | 'fail' | 'error';
  failures: number;
  sample: Record<string, unknown>[];
  message?: string;
  seconds: number;
  /** The test's query: a SELECT of the offending rows (what a failure report shows). */
  sql: string;
}

export interface TestModelsOptions {
  warehouse: Warehouse;
  project: ModelProject;
  select?: string;
  vars?: Record<string, unknown>;
  runId?: string;
  onResult?: (result: TestResult) => void;
}

export interface TestModelsResult {
  runId: string;
  tests: TestResult[];
  /** False when a test of severity error failed or could not run. */
  ok: boolean;
}

export async function testModels(options: TestModelsOptions): Promise<TestModelsResult> {
  const { warehouse, project } = options;
  const runId = options.runId ?? newRunId('test');
  const compiler = new ModelCompiler(project, warehouse, options.vars ?? {});
  const graph = ModelGraph.build(project);
  const selected = options.select ? selectModels(project, graph, options.select) : undefined;
  const tests = compileTests(project, compiler, warehouse, selected);
  // Tests that read the same scoped rows (the same model and `where`, e.g. the 7 column tests of the staging
  // transactions in a pipeline run) read them once instead of once per test. On a row store every scan reads
  // whole rows, so they share a temporary table of them. A columnar engine reads only each test's columns: a
  // copy of every column costs more than the scans it saves, but one statement over a materialized CTE keeps
  // only the columns the tests name, and spares each scan opening every silver file again.
  const { columnar, prunesMaterializedCte } = warehouse.capabilities;
  const runShared = !columnar ? runSharingScope : prunesMaterializedCte ? runInOneStatement : undefined;
  const byScope = new Map<string, CompiledTest[]>();
  for (const test of runShared ? tests : []) {
    if (!test.scope) continue;
    const group = byScope.get(test.scope.rows) ?? [];
    group.push(test);
    byScope.set(test.scope.rows, group);
  }
  const shared = new Map<CompiledTest, TestResult>();
  for (const group of byScope.values()) {
    if (group.length < 2) continue;
    for (const [test, result] of (await runShared!(warehouse, group)) ?? []) shared.set(test, result);
  }
  const results: TestResult[] = [];
  for (const test of tests) {
    const result = shared.get(test) ?? (await runAlone(warehouse, test));
    results.push(result);
    options.onResult?.(result);
  }
  await recordFailures(warehouse, runId, results);
  return { runId, tests: results, ok: results.every((r) => r.status === 'pass' || r.status === 'warn') };
}

type RunQuery = (sql: string) => Promise<QueryResult>;

/** Runs one test's `sql` (offending rows; none = pass): its count, and a sample when it found any. */
async function runTest(test: CompiledTest, query: RunQuery, sql: string): Promise<TestResult> {
  const started = performance.now();
  const { rows } = await query(`select count(*) as failures from (\n${sql}\n) as fintech_test`);
  return counted(test, query, sql, Number(rows[0]?.['failures'] ?? 0), started);
}

/** A test's result once its offending rows are counted: a sample of them if any (read by `sql`). */
async function counted(
  test: CompiledTest,
  query: RunQuery,
  sql: string,
  failures: number,
  started: number,
): Promise<TestResult> {
  const sample = failures
    ? (await query(`select * from (\n${sql}\n) as fintech_test limit ${SAMPLE_ROWS}`)).rows
    : [];
  const status = failures === 0 ? 'pass' : test.severity === 'warn' ? 'warn' : 'fail';
  return resultOf(test, { status, failures, sample, seconds: (performance.now() - started) / 1000 });
}

/** Runs a test by itself; a query that fails makes the test's status `error`, with the database's message. */
async function runAlone(warehouse: Warehouse, test: CompiledTest): Promise<TestResult> {
  const started = performance.now();
  return runTest(test, (sql) => warehouse.query(sql), test.sql).catch(errored(test, started));
}

function resultOf(
  test: CompiledTest,
  outcome: Pick<TestResult, 'status' | 'failures' | 'sample' | 'message' | 'seconds'>,
): TestResult {
  const { name, model, severity, sql } = test;
  return { name, model, severity, ...outcome, sql };
}

/**
 * Runs tests that share their scoped rows in one transaction: the rows into a temporary table named like the
 * CTE each test reads, then every test against it. A test that fails to run aborts the transaction (on
 * PostgreSQL and DuckDB alike): then undefined, and the caller runs each test on its own, so the broken one is
 * reported and the others still run.
 */
async function runSharingScope(
  warehouse: Warehouse,
  tests: CompiledTest[],
): Promise<[CompiledTest, TestResult][] | undefined> {
  try {
    return await warehouse.transaction(async (session) => {
      const started = performance.now();
      await session.execute(`create temporary table ${SCOPED_ROWS} as ${tests[0]!.scope!.rows}`);
      const scanSeconds = (performance.now() - started) / 1000;
      const results: [CompiledTest, TestResult][] = [];
      for (const test of tests) {
        results.push([test, await runTest(test, (sql) => session.query(sql), test.scope!.check)]);
      }
      await session.execute(`drop table ${SCOPED_ROWS}`);
      // The shared scan counts once, in the first test's time.
      results[0]![1].seconds += scanSeconds;
      return results;
    });
  } catch {
    return undefined;
  }
}

/**
 * Counts the offending rows of tests that share their scoped rows in one statement: the rows as a materialized
 * CTE named like the relation each test's `check` reads, one count per test. A failing test then reads its
 * sample by itself. If the statement fails (one test cannot run), undefined: the caller runs each test on its
 * own, so the broken one is reported and the others still run.
 */
async function runInOneStatement(
  warehouse: Warehouse,
  tests: CompiledTest[],
): Promise<[CompiledTest, TestResult][] | undefined> {
  const started = performance.now();
  const counts = tests.map(
    (test, i) => `(select count(*) from (\n${test.scope!.check}\n) as fintech_test) as failures_${i}`,
  );
  let row: Record<string, unknown> | undefined;
  try {
    const sql = `with ${SCOPED_ROWS} as materialized (\n${tests[0]!.scope!.rows}\n)\nselect ${counts.join(',\n')}`;
    row = (await warehouse.query(sql)).rows[0];
  } catch {
    return undefined;
  }
  const query: RunQuery = (sql) => warehouse.query(sql);
  const results: [CompiledTest, TestResult][] = [];
  for (const [i, test] of tests.entries()) {
    // The shared statement counts once, in the first test's time.
    const from = i === 0 ? started : performance.now();
    const failures = Number(row?.[`failures_${i}`] ?? 0);
    results.push([test, await counted(test, query, test.sql, failures, from).catch(errored(test, from))]);
  }
  return results;
}

/** The result of a test whose query failed: status `error`, with the database's message. */
function errored(test: CompiledTest, started: number): (error: unknown) => TestResult {
  return (error) =>
    resultOf(test, {
      status: 'error',
      failures: 0,
      sample: [],
      message: (error as Error).message,
      seconds: (performance.now() - started) / 1000,
    });
}

async function recordFailures(warehouse: Warehouse, runId: string, results: TestResult[]): Promise<void> {
  await warehouse.ensureSchema(TEST_FAILURES.schema);
  await warehouse.execute(
    `create table if not exists ${warehouse.quoteRelation(TEST_FAILURES)} (run_id varchar(128), test_name varchar(1024), model varchar(512), severity varchar(8), status varchar(8), failures bigint, sample varchar(65535), recorded_at timestamp)`,
  );
  const recordedAt = new Date().toISOString().replace('T', ' ').slice(0, 19);
  const failed = results.filter((r) => r.status !== 'pass');
  await warehouse.insertRows(
    TEST_FAILURES,
    ['run_id', 'test_name', 'model', 'severity', 'status', 'failures', 'sample', 'recorded_at'],
    failed.map((r) => [
      runId,
      r.name,
      r.model,
      r.severity,
      r.status,
      r.failures,
      (r.status === 'error' ? JSON.stringify({ error: r.message }) : JSON.stringify(r.sample)).slice(
        0,
        SAMPLE_MAX_CHARS,
      ),
      recordedAt,
    ]),
  );
}
