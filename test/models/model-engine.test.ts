/**
 * The model engine end to end on every engine that can run here: materializations and incremental strategies
 * with exact resulting rows, seeds, macros dispatch, engine-specific files, tests stored per run.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/models/project/load-project.ts';
import { runModels } from '../../src/models/run/run-models.ts';
import { testModels } from '../../src/models/testing/test-models.ts';
import { DuckDBWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.ts';
import { PostgresWarehouse } from '../../src/warehouse/postgres/postgres-warehouse.ts';
import type { SqlSession, Warehouse } from '../../src/warehouse/warehouse.ts';
import { createTestDatabase, postgresSkipReason } from '../helpers/postgres-test-database.ts';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'model-project');

type Payment = [number, string, string, string, string, string];
const DAY1: Payment[] = [
  [1, 'c1', '2024-01-01', '10.00', 'APPROVED', '2024-01-01 10:00:00'],
  [2, 'c1', '2024-01-01', '5.50', 'approved', '2024-01-01 11:00:00'],
  [3, 'c2', '2024-01-01', '7.25', 'declined', '2024-01-01 12:00:00'],
];
/** Day 2: payment 2 is updated (amount), payment 4 arrives, payment 5 has a status the seed does not label. */
const DAY2: Payment[] = [
  [1, 'c1', '2024-01-01', '10.00', 'APPROVED', '2024-01-01 10:00:00'],
  [2, 'c1', '2024-01-01', '6.00', 'approved', '2024-01-02 09:00:00'],
  [3, 'c2', '2024-01-01', '7.25', 'declined', '2024-01-01 12:00:00'],
  [4, 'c2', '2024-01-02', '20.00', 'approved', '2024-01-02 10:00:00'],
  [5, 'c3', '2024-01-02', '1.00', 'reversed', '2024-01-02 11:00:00'],
];

async function setPayments(warehouse: Warehouse, payments: Payment[]) {
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
    payments.map((p) => p.map(String)),
  );
}

/** The warehouse, recording every statement sent through it (in a transaction too). */
function spyOn(warehouse: Warehouse): { warehouse: Warehouse; statements: string[] } {
  const statements: string[] = [];
  const record = (session: SqlSession): SqlSession => ({
    execute: (sql) => {
      statements.push(sql);
      return session.execute(sql);
    },
    query: (sql) => {
      statements.push(sql);
      return session.query(sql);
    },
  });
  const spy = new Proxy(warehouse, {
    get(target, property) {
      if (property === 'query' || property === 'execute') return record(target)[property];
      if (property === 'transaction')
        return <T>(fn: (session: SqlSession) => Promise<T>) =>
          target.transaction((session) => fn(record(session)));
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { warehouse: spy, statements };
}

const rowsOf = async (warehouse: Warehouse, sql: string) => (await warehouse.query(sql)).rows;

const engines: [
  string,
  () => Promise<{ open: () => Promise<Warehouse>; cleanup?: () => Promise<void> } | undefined>,
][] = [
  [
    'duckdb',
    async () => ({
      open: () => DuckDBWarehouse.open(join(mkdtempSync(join(tmpdir(), 'models-')), 'w.duckdb')),
    }),
  ],
  [
    'postgres',
    async () => {
      if (await postgresSkipReason()) return undefined;
      const database = await createTestDatabase();
      return { open: () => PostgresWarehouse.open(database.url), cleanup: database.drop };
    },
  ],
];

for (const [engine, target] of engines) {
  describe(`model engine on ${engine}`, () => {
    let context: Awaited<ReturnType<typeof target>>;
    let warehouse: Warehouse;
    const project = loadProject(FIXTURE);

    beforeAll(async () => {
      context = await target();
      if (context) warehouse = await context.open();
    });
    afterAll(async () => {
      await warehouse?.close();
      await context?.cleanup?.();
    });

    it('builds seeds, views, tables, incrementals, ephemerals and engine variants with exact rows', async (test) => {
      if (!context) test.skip();
      await setPayments(warehouse, DAY1);
      const result = await runModels({
        warehouse,
        project,
        vars: { logical_date: '2024-01-01' },
        fullRefresh: true,
      });
      expect(result.ok).toBe(true);
      expect(result.seeds).toEqual([{ name: 'status_labels', rows: 2 }]);
      expect(Object.fromEntries(result.models.map((m) => [m.relation, m.action]))).toEqual({
        'staging.stg_payments': 'created view',
        'core.fct_payments': 'created table',
        'core.daily_totals': 'created table',
        'core.payment_log': 'created table',
        'marts.mart_customer': 'created table',
        'marts.mart_engine': 'created view',
      });
      expect(await rowsOf(warehouse, 'select * from staging.status_labels order by status')).toEqual([
        { status: 'approved', label: 'Approved', code: '001' },
        { status: 'declined', label: 'Declined, by issuer', code: '002' },
      ]);
      expect(await rowsOf(warehouse, 'select * from core.daily_totals order by event_date')).toEqual([
        { event_date: '2024-01-01', payments: 2, total: '15.50' },
      ]);
      expect(await rowsOf(warehouse, 'select * from marts.mart_customer order by customer_id')).toEqual([
        {
          customer_id: 'c1',
          total: '15.50',
          payments: 2,
          engine: engine === 'postgres' ? 'postgres' : 'default',
        },
        {
          customer_id: 'c2',
          total: '7.25',
          payments: 1,
          engine: engine === 'postgres' ? 'postgres' : 'default',
        },
      ]);
      expect(await rowsOf(warehouse, 'select variant from marts.mart_engine')).toEqual([
        { variant: engine === 'postgres' ? 'postgres file' : 'default file' },
      ]);
    });

    it('gives the same tables incrementally (twice in a row) as a full refresh', async (test) => {
      if (!context) test.skip();
      await setPayments(warehouse, DAY1);
      await runModels({ warehouse, project, vars: { logical_date: '2024-01-01' }, fullRefresh: true });
      await setPayments(warehouse, DAY2);
      const tables = ['core.fct_payments', 'core.daily_totals'];
      const snapshot = async () =>
        Promise.all(tables.map((t) => rowsOf(warehouse, `select * from ${t} order by 1, 2`)));
      const first = await runModels({ warehouse, project, vars: { logical_date: '2024-01-01' } });
      expect(first.models.find((m) => m.name === 'fct_payments')!.action).toBe('merged');
      expect(first.models.find((m) => m.name === 'daily_totals')!.action).toBe('replaced by event_date');
      expect(first.models.find((m) => m.name === 'payment_log')!.action).toBe('appended');
      const once = await snapshot();
      await runModels({ warehouse, project, vars: { logical_date: '2024-01-01' } });
      expect(await snapshot()).toEqual(once);
      await runModels({ warehouse, project, vars: { logical_date: '2024-01-01' }, fullRefresh: true });
      expect(await snapshot()).toEqual(once);
      expect(once[1]).toEqual([
        { event_date: '2024-01-01', payments: 2, total: '16.00' },
        { event_date: '2024-01-02', payments: 1, total: '20.00' },
      ]);
      expect(
        await rowsOf(warehouse, 'select payment_id, amount, status_label from core.fct_payments order by 1'),
      ).toEqual([
        { payment_id: 1, amount: '10.00', status_label: 'Approved' },
        { payment_id: 2, amount: '6.00', status_label: 'Approved' },
        { payment_id: 3, amount: '7.25', status_label: 'Declined, by issuer' },
        { payment_id: 4, amount: '20.00', status_label: 'Approved' },
        { payment_id: 5, amount: '1.00', status_label: null },
      ]);
    });

    it('merges by delete+insert on the key where the engine has no MERGE', async (test) => {
      if (!context) test.skip();
      await setPayments(warehouse, DAY1);
      await runModels({ warehouse, project, select: '+fct_payments', fullRefresh: true });
      await setPayments(warehouse, DAY2);
      const noMerge = new Proxy(warehouse, {
        get: (target, key) =>
          key === 'capabilities'
            ? { ...target.capabilities, supportsMerge: false }
            : ((value) => (typeof value === 'function' ? value.bind(target) : value))(
                Reflect.get(target, key),
              ),
      });
      const result = await runModels({ warehouse: noMerge, project, select: 'fct_payments' });
      expect(result.models.map((m) => m.error ?? m.action)).toEqual(['replaced by payment_id (no MERGE)']);
      expect(await rowsOf(warehouse, 'select payment_id, amount from core.fct_payments order by 1')).toEqual([
        { payment_id: 1, amount: '10.00' },
        { payment_id: 2, amount: '6.00' },
        { payment_id: 3, amount: '7.25' },
        { payment_id: 4, amount: '20.00' },
        { payment_id: 5, amount: '1.00' },
      ]);
    });

    it('rebuilds an incremental model in full when its rebuild_if says so', async (test) => {
      if (!context) test.skip();
      const dir = mkdtempSync(join(tmpdir(), 'rebuild-if-'));
      mkdirSync(join(dir, 'models', 'core'), { recursive: true });
      writeFileSync(
        join(dir, 'models', 'core', 'day_log.sql'),
        `{{ config(materialized='incremental', incremental_strategy='append',
             rebuild_if="select cast('{{ var('day') }}' as date) <= max(day) from {{ this }}") }}
         select cast('{{ var('day') }}' as date) as day`,
      );
      const small = loadProject(dir);
      const runDay = async (day: string) =>
        (await runModels({ warehouse, project: small, vars: { day }, seeds: false })).models[0]!.action;
      expect(await runDay('2024-01-01')).toBe('created table');
      expect(await runDay('2024-01-02')).toBe('appended');
      // the same day again: appending would count it twice, so the condition rebuilds the table
      expect(await runDay('2024-01-02')).toBe('created table (rebuild_if)');
      expect(await rowsOf(warehouse, 'select day from core.day_log order by day')).toEqual([
        { day: '2024-01-02' },
      ]);
    });

    it('recomputes only the groups whose rows changed, emptying a group its rows left (record_changes, delete_where)', async (test) => {
      if (!context) test.skip();
      const dir = mkdtempSync(join(tmpdir(), 'record-deleted-'));
      mkdirSync(join(dir, 'models', 'core'), { recursive: true });
      mkdirSync(join(dir, 'macros'));
      writeFileSync(
        join(dir, 'models', 'core', 'payments.sql'),
        `{{ config(materialized='incremental', unique_key='payment_id', record_changes=['customer_id', 'event_date']) }}
         select payment_id, customer_id, event_date, cast(amount as decimal(18, 2)) as amount, updated_at
         from {{ source('raw', 'payments') }}
         {% if is_incremental() %} where updated_at > (select max(updated_at) from {{ this }}) {% endif %}`,
      );
      writeFileSync(
        join(dir, 'macros', 'changed_groups.sql'),
        `{% macro changed_groups() -%}
           select distinct customer_id, event_date from {{ changed_rows('payments') }}
         {%- endmacro %}`,
      );
      writeFileSync(
        join(dir, 'models', 'core', 'customer_days.sql'),
        `{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['customer_id', 'event_date'],
             delete_where="exists (select 1 from ({{ changed_groups() }}) as c where c.customer_id = {{ this }}.customer_id and c.event_date = {{ this }}.event_date)") }}
         select p.customer_id, p.event_date, count(*) as payments, sum(p.amount) as total
         from {{ ref('payments') }} as p
         {% if is_incremental() %}
         join ({{ changed_groups() }}) as c on c.customer_id = p.customer_id and c.event_date = p.event_date
         {% endif %}
         group by p.customer_id, p.event_date`,
      );
      const small = loadProject(dir);
      const run = async (fullRefresh = false, select?: string) =>
        (
          await runModels({
            warehouse,
            project: small,
            seeds: false,
            fullRefresh,
            ...(select ? { select } : {}),
          })
        ).models.map((m) => m.error ?? m.action);
      const recorded = () =>
        rowsOf(warehouse, 'select distinct customer_id, event_date from core.payments__changes order by 1');
      await setPayments(warehouse, DAY1);
      expect(await run()).toEqual(['created table', 'created table']);
      // Its reader built, so the full build's record (every row) is consumed.
      expect(await recorded()).toEqual([]);
      // payment 2 moves to c3 on 2 January; payment 3, the only one of (c2, 1 January), moves to c4
      await setPayments(warehouse, [
        DAY1[0]!,
        [2, 'c3', '2024-01-02', '5.50', 'approved', '2024-01-02 09:00:00'],
        [3, 'c4', '2024-01-01', '7.25', 'declined', '2024-01-02 10:00:00'],
      ]);
      // The writer alone (as if the run had stopped before its reader): its records stay for the reader.
      expect(await run(false, 'payments')).toEqual(['replaced by payment_id']);
      const moved = [
        { customer_id: 'c1', event_date: '2024-01-01' },
        { customer_id: 'c2', event_date: '2024-01-01' },
        { customer_id: 'c3', event_date: '2024-01-02' },
        { customer_id: 'c4', event_date: '2024-01-01' },
      ];
      expect(await recorded()).toEqual(moved);
      // Run again, the writer finds nothing new, yet the reader still sees the records of the earlier run.
      expect(await run()).toEqual(['replaced by payment_id', 'replaced by customer_id, event_date']);
      const days = 'select customer_id, event_date, payments, total from core.customer_days order by 1, 2';
      const incremental = await rowsOf(warehouse, days);
      expect(incremental).toEqual([
        { customer_id: 'c1', event_date: '2024-01-01', payments: 1, total: '10.00' },
        { customer_id: 'c3', event_date: '2024-01-02', payments: 1, total: '5.50' },
        { customer_id: 'c4', event_date: '2024-01-01', payments: 1, total: '7.25' },
      ]);
      expect(await recorded()).toEqual([]);
      expect(await run(true)).toEqual(['created table', 'created table']);
      expect(await rowsOf(warehouse, days)).toEqual(incremental);
      // after a full build every row may have changed: the changed rows are all of them, until read
      expect(await run(true, 'payments')).toEqual(['created table']);
      expect(await rowsOf(warehouse, 'select count(*) as n from core.payments__changes')).toEqual([{ n: 3 }]);
    });

    it('runs tests, stores failing samples per run and keeps earlier runs', async (test) => {
      if (!context) test.skip();
      await setPayments(warehouse, DAY2);
      await runModels({ warehouse, project, fullRefresh: true });
      const first = await testModels({ warehouse, project, runId: 'run-a' });
      const byName = Object.fromEntries(first.tests.map((t) => [t.name, [t.status, t.failures]]));
      expect(byName).toEqual({
        expression_is_true_fct_payments__status_label_is_not_null: ['pass', 0],
        expression_is_true_fct_payments__amount_5: ['pass', 0],
        expression_is_true_fct_payments__amount_15: ['fail', 1],
        unique_fct_payments_payment_id: ['pass', 0],
        not_null_fct_payments_payment_id: ['pass', 0],
        relationships_fct_payments_payment_id: ['pass', 0],
        accepted_values_fct_payments_status__approved__declined: ['warn', 1],
        not_null_fct_payments_status_label: ['fail', 1],
        accepted_range_fct_payments_amount: ['pass', 0],
        expression_is_true_daily_totals__total_0: ['pass', 0],
        not_null_source_raw_payments_payment_id: ['pass', 0],
        assert_totals_match: ['pass', 0],
      });
      expect(first.ok).toBe(false);
      await testModels({ warehouse, project, runId: 'run-b', select: 'fct_payments' });
      const stored = await rowsOf(
        warehouse,
        'select run_id, test_name, model, severity, status, failures, sample from audit.test_failures order by run_id, test_name',
      );
      expect(
        stored.map((r) => [r['run_id'], r['test_name'], r['severity'], r['status'], r['failures']]),
      ).toEqual([
        ['run-a', 'accepted_values_fct_payments_status__approved__declined', 'warn', 'warn', 1],
        ['run-a', 'expression_is_true_fct_payments__amount_15', 'error', 'fail', 1],
        ['run-a', 'not_null_fct_payments_status_label', 'error', 'fail', 1],
        ['run-b', 'accepted_values_fct_payments_status__approved__declined', 'warn', 'warn', 1],
        ['run-b', 'expression_is_true_fct_payments__amount_15', 'error', 'fail', 1],
        ['run-b', 'not_null_fct_payments_status_label', 'error', 'fail', 1],
      ]);
      expect(JSON.parse(String(stored[0]!['sample']))).toEqual([{ value_field: 'reversed', n_records: 1 }]);
      expect(stored[1]!['sample']).toContain('"amount":"20.00"');
    });

    it('scans the rows of tests that share a where once, and still reports a broken one among them', async (test) => {
      if (!context) test.skip();
      await setPayments(warehouse, DAY2);
      await runModels({ warehouse, project, fullRefresh: true });
      const scans = (statements: string[]) =>
        statements.filter((sql) => sql.includes("status <> 'reversed'"));
      const shared = spyOn(warehouse);
      const { tests } = await testModels({ warehouse: shared.warehouse, project, select: 'fct_payments' });
      // DuckDB counts the 3 tests in one statement over a materialized CTE of the rows, then reads the failing
      // test's sample; PostgreSQL (a row store) copies the rows to a temporary table the tests read.
      if (warehouse.capabilities.prunesMaterializedCte) {
        expect(scans(shared.statements)).toEqual([
          expect.stringMatching(/^with fintech_test_scope as materialized \(/),
          expect.stringMatching(/^select \* from \(/),
        ]);
        expect(shared.statements.find((sql) => sql.startsWith('with fintech_test_scope'))).toContain(
          'as failures_2',
        );
      } else
        expect(scans(shared.statements)).toEqual([
          expect.stringMatching(/^create temporary table fintech_test_scope/),
        ]);
      const scoped = tests.filter((t) => t.name.startsWith('expression_is_true_fct_payments'));
      expect(scoped.map((t) => [t.name, t.status, t.failures])).toEqual([
        ['expression_is_true_fct_payments__status_label_is_not_null', 'pass', 0],
        ['expression_is_true_fct_payments__amount_5', 'pass', 0],
        ['expression_is_true_fct_payments__amount_15', 'fail', 1],
      ]);

      // A test that cannot run aborts the shared transaction: every test of the scope then runs on its own.
      const broken = join(mkdtempSync(join(tmpdir(), 'models-broken-')), 'project');
      cpSync(FIXTURE, broken, { recursive: true });
      const schema = join(broken, 'models', 'schema.yml');
      const withBroken = readFileSync(schema, 'utf8').replace(
        '      - expression_is_true:\n          expression: amount < 15',
        `      - expression_is_true:\n          expression: no_such_column > 0\n          config:\n            where: "status <> 'reversed'"\n$&`,
      );
      writeFileSync(schema, withBroken);
      const fallback = spyOn(warehouse);
      const again = await testModels({
        warehouse: fallback.warehouse,
        project: loadProject(broken),
        select: 'fct_payments',
      });
      // The shared attempt's one scan, then each test's own: 4 counts and the sample of the failing one.
      expect(scans(fallback.statements)).toHaveLength(1 + 4 + 1);
      const byName = Object.fromEntries(again.tests.map((t) => [t.name, t.status]));
      expect(byName).toMatchObject({
        expression_is_true_fct_payments__status_label_is_not_null: 'pass',
        expression_is_true_fct_payments__amount_5: 'pass',
        expression_is_true_fct_payments__amount_15: 'fail',
        expression_is_true_fct_payments__no_such_column_0: 'error',
      });
      expect(again.tests.find((t) => t.status === 'error')!.message).toMatch(/no_such_column/);
    });
  });
}
