/**
 * A daily task (pipeline/dag/daily-task.ts, daily-resources.ts) whose try outlives its timeout or a stop's
 * grace while a long warehouse statement runs: the try's signal interrupts the statement (DuckDB) or cancels it
 * (PostgreSQL), so the try stops at once. At a timeout it is recorded failed (`timeout`) and, having stopped
 * within `timeoutGraceMs`, retried; what it wrote in its transaction rolled back, and the retry's rows are the
 * only ones. At a stop the run ends `stopped` without waiting for the statement.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDailyResources, type DailyResources } from '../../pipeline/dag/daily-resources.ts';
import { dailyTaskRun } from '../../pipeline/dag/daily-task.ts';
import type { IsoDate } from '../../src/core/dates.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { defineDag } from '../../src/orchestrator/definitions/dag.ts';
import { defineTask } from '../../src/orchestrator/definitions/task-definition.ts';
import { runDag } from '../../src/orchestrator/execution/run-dag.ts';
import { DuckDBWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.ts';
import { PostgresWarehouse } from '../../src/warehouse/postgres/postgres-warehouse.ts';
import type { Warehouse } from '../../src/warehouse/warehouse.ts';
import {
  createTestDatabase,
  postgresSkipReason,
  type TestDatabase,
} from '../helpers/postgres-test-database.ts';
import { createTestLake } from '../helpers/test-lake.ts';
import { type ControlPlaneFixture, controlPlaneFixture, logEvents } from './helpers/control-plane-fixture.ts';

const DAY = '2025-03-01' as IsoDate;
const postgresSkip = await postgresSkipReason();

/** Many minutes unless interrupted; one row, column `n`. */
const SLOW_SELECT = {
  duckdb: 'select count(*) as n from range(1000000000) a, range(1000) b where a.range % 7 = b.range % 11',
  postgres: 'select 1 as n from pg_sleep(600)',
};

/**
 * One daily task `models` that records its try in `audit.attempts` within a transaction and, in the tries
 * `slowTries` names, then runs the slow statement in the same transaction.
 */
function slowTaskDag(resources: DailyResources, slowSelect: string, slowTries: number[]) {
  const task = defineTask({
    name: 'models',
    retry: { retries: 1, retryDelay: 0 },
    timeoutSeconds: 1,
    run: dailyTaskRun(
      () => resources,
      async (_input, context, shared) => {
        const warehouse = await shared.warehouse();
        await warehouse.transaction(async (session) => {
          await session.execute(`insert into audit.attempts values (${context.tryNumber})`);
          if (slowTries.includes(context.tryNumber)) await session.query(slowSelect);
        });
        return { tryNumber: context.tryNumber };
      },
    ),
  });
  return defineDag({ name: 'daily_batch_etl', tasks: [task] });
}

for (const engine of ['duckdb', 'postgres'] as const) {
  describe.skipIf(engine === 'postgres' && postgresSkip)(`a daily task's long statement (${engine})`, () => {
    let database: TestDatabase | undefined;
    let fixture: ControlPlaneFixture;
    let lake: Lake;
    let warehouse: Warehouse;
    let resources: DailyResources;
    const home = mkdtempSync(join(tmpdir(), 'fintech-interrupt-'));

    beforeAll(async () => {
      fixture = controlPlaneFixture();
      const test = await createTestLake('local', home);
      lake = test.lake;
      if (engine === 'postgres') database = await createTestDatabase();
      warehouse = database
        ? await PostgresWarehouse.open(database.url)
        : await DuckDBWarehouse.open(join(home, 'warehouse.duckdb'));
      resources = createDailyResources({
        config: test.config,
        lake,
        store: fixture.store,
        suites: [],
        openWarehouse: async () => warehouse,
        callerOwnsWarehouse: true,
        holder: 'the interrupt test',
      });
    });
    afterAll(async () => {
      await resources?.close();
      await warehouse?.close();
      await fixture?.store.close();
      await lake?.close();
      await database?.drop();
      rmSync(home, { recursive: true, force: true });
    });

    const freshAttempts = async () => {
      await warehouse.execute('create schema if not exists audit');
      await warehouse.execute('drop table if exists audit.attempts');
      await warehouse.execute('create table audit.attempts (try_number integer)');
    };

    it('is interrupted at the timeout, recorded failed (timeout), retried, and only the retry wrote', async () => {
      await freshAttempts();
      const started = Date.now();
      const result = await runDag({
        dag: slowTaskDag(resources, SLOW_SELECT[engine], [1]),
        store: fixture.store,
        logicalDate: DAY,
        logsDir: fixture.logsDir,
        clock: fixture.clock,
        timeoutGraceMs: 30_000,
      });
      expect(result.outcome, result.error).toBe('success');
      // A generous bound: the first try's statement alone runs for many minutes uninterrupted.
      expect(Date.now() - started).toBeLessThan(60_000);
      const tries = await fixture.store.tries(result.runId, 'models');
      expect(tries.map(({ tryNumber, state, failureKind }) => ({ tryNumber, state, failureKind }))).toEqual([
        { tryNumber: 1, state: 'failed', failureKind: 'timeout' },
        { tryNumber: 2, state: 'success', failureKind: undefined },
      ]);
      expect(tries[0]!.error).toBe('task models timed out after 1 s');
      expect(tries[0]!.retryable).toBeUndefined();
      const firstLog = await logEvents(tries[0]!.logPath);
      expect(firstLog.filter((event) => event.kind === 'warning')).toEqual([]);
      expect(firstLog.find((event) => event.kind === 'retry-scheduled')).toMatchObject({ nextTry: 2 });
      // The first try's insert rolled back with its transaction.
      expect((await warehouse.query('select try_number from audit.attempts')).rows).toEqual([
        { try_number: 2 },
      ]);
    });

    it('is interrupted when the grace of a stop request ends: the run stops without waiting for the statement', async () => {
      await freshAttempts();
      const stop = new AbortController();
      const started = Date.now();
      const running = runDag({
        dag: slowTaskDag(resources, SLOW_SELECT[engine], [1, 2]),
        store: fixture.store,
        logicalDate: '2025-03-02' as IsoDate,
        logsDir: fixture.logsDir,
        clock: fixture.clock,
        stopSignal: stop.signal,
        stopGraceMs: 100,
        timeoutGraceMs: 30_000,
        events: {
          emit: (event) => {
            if (event.kind === 'task-started') setTimeout(() => stop.abort(), 200);
          },
        },
      });
      const result = await running;
      expect(result.outcome).toBe('stopped');
      expect(Date.now() - started).toBeLessThan(60_000);
      const tries = await fixture.store.tries(result.runId, 'models');
      expect(tries.map(({ state, failureKind }) => ({ state, failureKind }))).toEqual([
        { state: 'failed', failureKind: 'abandoned' },
      ]);
      expect(tries[0]!.error).toBe('task models was abandoned: the process was asked to stop');
      // It stopped within the grace: not marked as a try that may still be writing.
      expect(tries[0]!.retryable).toBeUndefined();
      const log = await logEvents(tries[0]!.logPath);
      expect(log.filter((event) => event.kind === 'warning')).toEqual([]);
      expect((await warehouse.query('select count(*) as n from audit.attempts')).rows).toEqual([{ n: 0 }]);
    });
  });
}
