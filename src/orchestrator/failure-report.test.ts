import { appendFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ControlPlaneFixture,
  controlPlaneFixture,
} from '../../test/orchestrator/helpers/control-plane-fixture.ts';
import type { IsoDate } from '../core/dates.ts';
import type { CheckFailedEvent } from '../core/pipeline-event.ts';
import { defineDag } from './definitions/dag.ts';
import { defineTask } from './definitions/task-definition.ts';
import { runDag } from './execution/run-dag.ts';
import { buildFailureReport } from './failure-report.ts';

const DATE = '2025-03-01' as IsoDate;
let fixture: ControlPlaneFixture;
afterEach(async () => {
  await fixture?.store.close();
});

function dag(options: { failTests: boolean }) {
  const models = defineTask({ name: 'models', run: async () => ({ built: 3 }) });
  const tests = defineTask({
    name: 'tests',
    dependsOn: [models],
    retry: { retries: 1, retryDelay: 1 },
    run: async (_input, { events }) => {
      events.emit({ kind: 'notice', message: 'running 12 tests' });
      if (!options.failTests) return { passed: 12 };
      const warned: CheckFailedEvent = {
        kind: 'check-failed',
        check: 'test',
        name: 'accepted_values_fact_transactions_channel',
        severity: 'warn',
        status: 'warn',
        failures: 1,
        details: '1 offending row in fact_transactions',
        sample: [{ channel: 'fax' }],
      };
      events.emit(warned);
      const failed: CheckFailedEvent = {
        kind: 'check-failed',
        check: 'test',
        name: 'not_null_fact_transactions_amount',
        target: 'fact_transactions',
        severity: 'error',
        status: 'fail',
        failures: 2,
        details: '2 offending rows in fact_transactions',
        sql: 'select * from core.fact_transactions where amount is null',
        sample: [{ transaction_id: 't-1', amount: null }],
      };
      events.emit(failed);
      throw new Error('1 error-severity test failed: not_null_fact_transactions_amount');
    },
  });
  const gold = defineTask({ name: 'gold', dependsOn: [tests], run: async () => ({ marts: 6 }) });
  return defineDag({ name: 'daily', tasks: [models, tests, gold] });
}

describe('buildFailureReport', () => {
  it('names the failed task, its error, the last log lines, and a failing test with its SQL and sample', async () => {
    fixture = controlPlaneFixture();
    const result = await runDag({
      dag: dag({ failTests: true }),
      store: fixture.store,
      logicalDate: DATE,
      logsDir: fixture.logsDir,
      clock: fixture.clock,
    });
    expect(result.outcome).toBe('failed');

    const report = await buildFailureReport(fixture.store, result.runId, {
      order: ['models', 'tests', 'gold'],
    });
    expect(report?.run).toMatchObject({ runId: result.runId, state: 'failed', logicalDate: DATE });
    expect(report?.tasks).toEqual([
      { task: 'models', state: 'success', tries: 1 },
      { task: 'tests', state: 'failed', tries: 2 },
      { task: 'gold', state: 'upstream_failed', tries: 0 },
    ]);
    expect(report?.upstreamFailed).toEqual(['gold']);
    const failure = report!.failure!;
    expect(failure).toMatchObject({
      task: 'tests',
      tryNumber: 2,
      tries: 2,
      failureKind: 'error',
      error: '1 error-severity test failed: not_null_fact_transactions_amount',
      logFound: true,
      logCommand: `fintech-etl logs ${result.runId} tests --try 2`,
    });
    expect(failure).toMatchObject({ host: hostname(), pid: process.pid });
    // The failure that stopped the task comes before the warning logged ahead of it.
    expect(failure.checks.map((check) => check.status)).toEqual(['fail', 'warn']);
    expect(failure.checks.slice(0, 1)).toEqual([
      {
        check: 'test',
        name: 'not_null_fact_transactions_amount',
        target: 'fact_transactions',
        severity: 'error',
        status: 'fail',
        failures: 2,
        details: '2 offending rows in fact_transactions',
        sql: 'select * from core.fact_transactions where amount is null',
        sample: [{ transaction_id: 't-1', amount: null }],
      },
    ]);
    const kinds = failure.lastLogLines.map((line) => JSON.parse(line).kind);
    expect(kinds).toEqual(['task-started', 'notice', 'check-failed', 'check-failed', 'task-finished']);
  });

  it('reads a log only where logFile allows, and redacts a PAN an older log kept in a sample', async () => {
    fixture = controlPlaneFixture();
    const result = await runDag({
      dag: dag({ failTests: true }),
      store: fixture.store,
      logicalDate: DATE,
      logsDir: fixture.logsDir,
      clock: fixture.clock,
    });
    const refused = await buildFailureReport(fixture.store, result.runId, { logFile: () => undefined });
    expect(refused?.failure).toMatchObject({ task: 'tests', logFound: false, lastLogLines: [], checks: [] });

    const logPath = (await fixture.store.tries(result.runId)).find(
      (attempt) => attempt.task === 'tests' && attempt.tryNumber === 2,
    )!.logPath;
    const older = { ts: '2025-03-01T00:00:00.000Z', kind: 'check-failed', check: 'test', name: 'no_pan' };
    appendFileSync(logPath, `${JSON.stringify({ ...older, sample: [{ card: '4111111111111111' }] })}\n`);
    const report = await buildFailureReport(fixture.store, result.runId, { lines: 2 });
    expect(report?.failure?.lastLogLines.map((line) => JSON.parse(line).kind)).toEqual([
      'task-finished',
      'check-failed',
    ]);
    expect(report?.failure?.checks.find((check) => check.name === 'no_pan')?.sample).toEqual([
      { card: '411111******1111' },
    ]);
  });

  it('reports a run without a failure, an unknown run, and a failed try whose log is gone', async () => {
    fixture = controlPlaneFixture();
    const ok = await runDag({
      dag: dag({ failTests: false }),
      store: fixture.store,
      logicalDate: DATE,
      logsDir: fixture.logsDir,
      clock: fixture.clock,
    });
    const report = await buildFailureReport(fixture.store, ok.runId);
    expect(report?.run.state).toBe('success');
    expect(report?.failure).toBeUndefined();
    expect(await buildFailureReport(fixture.store, 'run-nope')).toBeUndefined();

    const failed = await runDag({
      dag: dag({ failTests: true }),
      store: fixture.store,
      logicalDate: '2025-03-02' as IsoDate,
      logsDir: fixture.logsDir,
      clock: fixture.clock,
    });
    rmSync(fixture.logsDir, { recursive: true });
    const withoutLogs = await buildFailureReport(fixture.store, failed.runId);
    expect(withoutLogs?.failure).toMatchObject({
      task: 'tests',
      logFound: false,
      lastLogLines: [],
      checks: [],
    });
    expect(withoutLogs?.failure?.error).toMatch(/not_null_fact_transactions_amount/);
  });
});
