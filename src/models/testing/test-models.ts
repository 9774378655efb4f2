/**
 * `models test`: runs each test's query; zero rows = pass. For a failing test (error or warn) the count and a
 * sample of offending rows (JSON) are appended to `audit.test_failures` under the run id — one row per test
 * and run, never overwritten, so past runs' failures stay inspectable.
 */
import { newRunId } from '../../core/run-id.ts';
import type { Relation, Warehouse } from '../../warehouse/warehouse.ts';
import { ModelCompiler } from '../compile/model-compiler.ts';
import { ModelGraph } from '../graph/model-graph.ts';
import { selectModels } from '../graph/select-models.ts';
import type { ModelProject, Severity } from '../project/model-project.ts';
import { compileTests } from './compile-tests.ts';

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
  const results: TestResult[] = [];
  for (const test of tests) {
    const started = performance.now();
    let result: TestResult;
    try {
      const { rows } = await warehouse.query(
        `select count(*) as failures from (\n${test.sql}\n) as fintech_test`,
      );
      const failures = Number(rows[0]?.['failures'] ?? 0);
      const sample = failures
        ? (await warehouse.query(`select * from (\n${test.sql}\n) as fintech_test limit ${SAMPLE_ROWS}`)).rows
        : [];
      const status = failures === 0 ? 'pass' : test.severity === 'warn' ? 'warn' : 'fail';
      result = { ...test, status, failures, sample, seconds: 0 };
    } catch (error) {
      result = {
        ...test,
        status: 'error',
        failures: 0,
        sample: [],
        message: (error as Error).message,
        seconds: 0,
      };
    }
    result.seconds = (performance.now() - started) / 1000;
    delete (result as Partial<typeof result> & { sql?: string }).sql;
    results.push(result);
    options.onResult?.(result);
  }
  await recordFailures(warehouse, runId, results);
  return { runId, tests: results, ok: results.every((r) => r.status === 'pass' || r.status === 'warn') };
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
