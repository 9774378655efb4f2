/**
 * The `check-failed` events of the daily run's `quality` and `tests` tasks: one per failed expectation or test,
 * with the SQL that selects its offending rows and a sample of them. They go to the task's event sink, which the
 * control plane writes to the try's log, so a run's failure report (the web app's Pipeline page) shows them
 * after the process is gone.
 */
import type { CheckFailedEvent } from '../core/pipeline-event.ts';
import type { TestResult } from '../models/testing/test-models.ts';
import { unexpectedRowsQuery } from '../quality/compile-suite.ts';
import { DUCKDB_QUALITY_DIALECT } from '../quality/quality-dialect.ts';
import { failedResults, type QualityGateResult } from '../quality/quality-result.ts';
import { DATASET_KEYS, type Suite } from '../quality/suite.ts';

/** Tests that did not pass (failed, warned, or could not run). */
export function testCheckEvents(tests: readonly TestResult[]): CheckFailedEvent[] {
  return tests
    .filter((test) => test.status !== 'pass')
    .map((test) => ({
      kind: 'check-failed',
      check: 'test',
      name: test.name,
      target: test.model,
      severity: test.severity,
      status: test.status as CheckFailedEvent['status'],
      failures: test.status === 'error' ? null : test.failures,
      details:
        test.status === 'error'
          ? `the test could not run: ${test.message ?? 'unknown error'}`
          : `${test.failures} offending row${test.failures === 1 ? '' : 's'} in ${test.model}`,
      sql: test.sql,
      sample: test.sample,
    }));
}

/**
 * Failed expectations of a gate, error severity first. The SQL is written over the warehouse's staging
 * relations (`staging.silver_transactions_batch` is the run's batch), as the gate ran it over the batch's files.
 */
export function qualityCheckEvents(
  gate: Pick<QualityGateResult, 'results'>,
  suites: readonly Suite[],
): CheckFailedEvent[] {
  return failedResults(gate).map((result) => {
    const suite = suites.find((candidate) => candidate.name === result.suite);
    const index = suite?.expectations.findIndex((expectation) => expectation.id === result.expectationId);
    const expectation = index !== undefined && index >= 0 ? suite!.expectations[index] : undefined;
    const set = (expectation?.kwargs as { value_set?: unknown } | undefined)?.value_set;
    const reference =
      set && !Array.isArray(set)
        ? `staging.silver_${(set as { from_dataset: string }).from_dataset}`
        : undefined;
    const sql =
      suite && expectation
        ? unexpectedSql(suite, index!, result.dataset, result.partition, reference, expectation.perPartition)
        : undefined;
    return {
      kind: 'check-failed',
      check: 'quality',
      name: `${result.suite}.${result.expectationId}${expectation?.perPartition ? ` [${result.partition}]` : ''}`,
      target: `${result.dataset} ${result.partition}`,
      severity: result.severity,
      status: result.severity === 'warn' ? 'warn' : 'fail',
      failures: result.unexpectedCount,
      details: result.details,
      ...(sql ? { sql } : {}),
      sample: result.sample,
    };
  });
}

function unexpectedSql(
  suite: Suite,
  index: number,
  dataset: string,
  partition: string,
  reference: string | undefined,
  perPartition: boolean | undefined,
): string | undefined {
  return unexpectedRowsQuery(suite, index, DUCKDB_QUALITY_DIALECT, {
    batch: dataset === 'transactions' ? 'staging.silver_transactions_batch' : `staging.silver_${dataset}`,
    ...(reference ? { reference } : {}),
    ...(perPartition ? { partition } : {}),
    keyColumns: DATASET_KEYS[suite.dataset],
  });
}
