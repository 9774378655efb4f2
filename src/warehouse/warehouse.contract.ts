/**
 * The behaviour every {@link Warehouse} promises, run by each engine's test file (DuckDB, PostgreSQL). An
 * engine that cannot run here (Redshift) has its own test of the exact SQL it emits instead.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadOnlyViolation, type Relation, type Warehouse } from './warehouse.ts';

export interface ContractTarget {
  open(): Promise<Warehouse>;
  cleanup?(): Promise<void>;
  /** A SELECT of one row, column `n`, that runs for many minutes unless interrupted. */
  slowSelect: string;
}

const T: Relation = { schema: 'contract', name: 'accounts' };

/** Writes a tiny silver lake (two event_date partitions of transactions) with DuckDB. */
export async function writeTinySilverLake(root: string, partitions: Record<string, number>): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  for (const [date, rows] of Object.entries(partitions)) {
    const dir = join(root, 'silver', 'transactions', `event_date=${date}`, 'merchant_category=food');
    mkdirSync(dir, { recursive: true });
    await connection.run(
      `copy (select 't-' || '${date}' || '-' || i as transaction_id, date '${date}' as event_date,
         cast(i * 1.5 as decimal(18,2)) as amount, timestamp '${date} 10:00:00' + to_seconds(i) as txn_ts,
         case when i % 2 = 0 then 'he said "hi", ok' else null end as note, i % 3 = 0 as is_refund
       from range(1, ${rows + 1}) r(i)) to '${dir}/part-0.parquet' (format parquet)`,
    );
  }
  connection.closeSync();
  db.closeSync();
}

export function warehouseContract(name: string, target: () => Promise<ContractTarget | undefined>): void {
  describe(`Warehouse contract: ${name}`, () => {
    let warehouse: Warehouse;
    let context: ContractTarget | undefined;

    beforeAll(async () => {
      context = await target();
      if (context) warehouse = await context.open();
    });
    afterAll(async () => {
      await warehouse?.close();
      await context?.cleanup?.();
    });

    const run = (title: string, fn: () => Promise<void>) =>
      it(title, async (test) => {
        if (!context) test.skip();
        await fn();
      });

    run('normalises values identically on every engine', async () => {
      const { rows } = await warehouse.query(
        `select cast(123.4 as decimal(18,2)) as d, cast('2024-01-02' as date) as dt,
           cast('2024-01-02 03:04:05.123' as timestamp) as ts, cast(5 as bigint) as b,
           cast(9007199254740993 as bigint) as huge, cast(1.5 as double precision) as f, true as bo,
           cast(null as integer) as n, cast(3 as integer) as i, cast(-5.05 as decimal(18,2)) as neg,
           sum(cast(1.10 as decimal(18,2))) as total, count(*) as c`,
      );
      expect(rows).toEqual([
        {
          d: '123.40',
          dt: '2024-01-02',
          ts: '2024-01-02T03:04:05.123',
          b: 5,
          huge: '9007199254740993',
          f: 1.5,
          bo: true,
          n: null,
          i: 3,
          neg: '-5.05',
          total: '1.10',
          c: 1,
        },
      ]);
    });

    run('creates a table beside and swaps it in, replacing a view or a table', async () => {
      await warehouse.createView(T, `select 1 as id`);
      expect(await warehouse.relationKind(T)).toBe('view');
      await warehouse.createTableAs(T, `select 1 as id, 'a' as name union all select 2, 'b'`);
      expect(await warehouse.relationKind(T)).toBe('table');
      await warehouse.createTableAs(T, `select 3 as id, 'c' as name`);
      expect((await warehouse.query(`select * from contract.accounts`)).rows).toEqual([{ id: 3, name: 'c' }]);
      expect((await warehouse.columns(T)).map((c) => c.name)).toEqual(['id', 'name']);
      expect(
        await warehouse.relationKind({ schema: 'contract', name: 'accounts__fintech_new' }),
      ).toBeUndefined();
    });

    run('keeps the views built on a table when the table is replaced', async () => {
      await warehouse.createTableAs(T, `select 1 as id`);
      const view = { schema: 'contract', name: 'accounts_view' };
      await warehouse.createView(view, 'select id * 10 as tens from contract.accounts');
      await warehouse.createView(
        { schema: 'contract', name: 'accounts_view2' },
        'select tens + 1 as t from contract.accounts_view',
      );
      await warehouse.createTableAs(T, `select 2 as id`);
      expect((await warehouse.query('select t from contract.accounts_view2')).rows).toEqual([{ t: 21 }]);
      await warehouse.drop({ schema: 'contract', name: 'accounts_view2' });
      await warehouse.drop(view);
    });

    run('appends, deletes+inserts by key, merges by unique key', async () => {
      await warehouse.createTableAs(T, `select 1 as id, 'a' as name union all select 2, 'b'`);
      await warehouse.insertInto(T, `select 'z' as name, 9 as id`);
      await warehouse.deleteInsert(T, `select 2 as id, 'B' as name union all select 3, 'C'`, ['id']);
      let { rows } = await warehouse.query('select id, name from contract.accounts order by id');
      expect(rows).toEqual([
        { id: 1, name: 'a' },
        { id: 2, name: 'B' },
        { id: 3, name: 'C' },
        { id: 9, name: 'z' },
      ]);
      if (warehouse.capabilities.supportsMerge) {
        await warehouse.merge(T, `select 1 as id, 'A' as name union all select 4, 'D'`, ['id']);
        ({ rows } = await warehouse.query('select id, name from contract.accounts order by id'));
        expect(rows.map((r) => r['name'])).toEqual(['A', 'B', 'C', 'D', 'z']);
      }
    });

    run(
      'keeps what a delete+insert inserted and deleted, by key and by predicate, adding to the earlier records',
      async () => {
        const changes: Relation = { schema: 'contract', name: 'accounts__changes' };
        await warehouse.drop(changes);
        await warehouse.createTableAs(
          T,
          `select 1 as id, 'a' as name union all select 2, 'b' union all select 3, 'c' union all select 4, 'd'`,
        );
        const record = { recordChanges: { relation: changes, columns: ['name', 'id'] } };
        await warehouse.deleteInsert(T, `select 2 as id, 'B' as name union all select 5, 'E'`, ['id'], {
          ...record,
          alsoDeleteWhere: ["name = 'd'", 'id >= 2 and id <= 2'],
        });
        const rows = async (sql: string) => (await warehouse.query(sql)).rows;
        expect(await rows('select id, name from contract.accounts order by id')).toEqual([
          { id: 1, name: 'a' },
          { id: 2, name: 'B' },
          { id: 3, name: 'c' },
          { id: 5, name: 'E' },
        ]);
        const distinctRecords = async () => {
          const recorded = await rows('select name, id from contract.accounts__changes order by id, name');
          return [...new Map(recorded.map((row) => [`${row['id']}${row['name']}`, row])).values()];
        };
        // inserted 2 B and 5 E; deleted 2 b (by key and by predicate: recorded at least once) and 4 d
        expect(await distinctRecords()).toEqual([
          { name: 'B', id: 2 },
          { name: 'b', id: 2 },
          { name: 'd', id: 4 },
          { name: 'E', id: 5 },
        ]);
        // Records accumulate until their readers consume them.
        await warehouse.deleteInsert(T, `select 3 as id, 'C' as name`, ['id'], record);
        expect(await distinctRecords()).toEqual([
          { name: 'B', id: 2 },
          { name: 'b', id: 2 },
          { name: 'C', id: 3 },
          { name: 'c', id: 3 },
          { name: 'd', id: 4 },
          { name: 'E', id: 5 },
        ]);
        // After a full build the record is a view of every row; the next delete+insert keeps those rows.
        await warehouse.createView(changes, 'select name, id from contract.accounts');
        await warehouse.deleteInsert(T, `select 6 as id, 'F' as name`, ['id'], record);
        expect(await warehouse.relationKind(changes)).toBe('table');
        expect(await distinctRecords()).toEqual([
          { name: 'a', id: 1 },
          { name: 'B', id: 2 },
          { name: 'C', id: 3 },
          { name: 'E', id: 5 },
          { name: 'F', id: 6 },
        ]);
        await warehouse.drop(changes);
      },
    );

    run('inserts literal rows cast to the column types', async () => {
      await warehouse.createTableAs(
        T,
        `select cast(1 as integer) as id, cast(1.00 as decimal(18,2)) as amount, cast('2024-01-01' as date) as day`,
      );
      await warehouse.insertRows(
        T,
        ['id', 'amount', 'day'],
        [
          ['2', '3.5', '2024-02-03'],
          [3, null, null],
        ],
      );
      const { rows } = await warehouse.query('select * from contract.accounts order by id');
      expect(rows).toEqual([
        { id: 1, amount: '1.00', day: '2024-01-01' },
        { id: 2, amount: '3.50', day: '2024-02-03' },
        { id: 3, amount: null, day: null },
      ]);
    });

    run('rolls a failed transaction back', async () => {
      await warehouse.createTableAs(T, `select 1 as id`);
      await expect(
        warehouse.transaction(async (session) => {
          await session.execute('insert into contract.accounts values (2)');
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect((await warehouse.query('select count(*) as n from contract.accounts')).rows).toEqual([{ n: 1 }]);
    });

    run('refuses writes in a read-only query and answers selects', async () => {
      await warehouse.createTableAs(T, `select 1 as id`);
      await expect(warehouse.queryReadOnly('delete from contract.accounts')).rejects.toThrow(
        ReadOnlyViolation,
      );
      await expect(warehouse.queryReadOnly('select 1 as a; drop table contract.accounts')).rejects.toThrow(
        ReadOnlyViolation,
      );
      expect((await warehouse.queryReadOnly('select id from contract.accounts')).rows).toEqual([{ id: 1 }]);
    });

    run('drops a relation of either kind', async () => {
      await warehouse.createTableAs(T, 'select 1 as id');
      await warehouse.drop(T);
      expect(await warehouse.relationKind(T)).toBeUndefined();
      await warehouse.drop(T);
    });

    run(
      'loads Parquet files into a table, replacing only the rows of the partitions loaded again',
      async () => {
        const lake = mkdtempSync(join(tmpdir(), 'contract-lake-'));
        await writeTinySilverLake(lake, { '2024-01-01': 3, '2024-01-02': 2 });
        const target = { schema: 'staging', name: 'silver_transactions' };
        const folder = join(lake, 'silver', 'transactions');
        await warehouse.loadFiles({ target, files: [`${folder}/**/*.parquet`], format: 'parquet' });
        const count = async () =>
          (
            await warehouse.query(
              'select event_date, count(*) as n, sum(amount) as total from staging.silver_transactions group by event_date order by event_date',
            )
          ).rows;
        expect(await count()).toEqual([
          { event_date: '2024-01-01', n: 3, total: '9.00' },
          { event_date: '2024-01-02', n: 2, total: '4.50' },
        ]);
        const { rows } = await warehouse.query(
          `select note, is_refund, txn_ts from staging.silver_transactions where transaction_id in ('t-2024-01-01-2', 't-2024-01-01-3') order by transaction_id`,
        );
        expect(rows).toEqual([
          { note: 'he said "hi", ok', is_refund: false, txn_ts: '2024-01-01T10:00:02' },
          { note: null, is_refund: true, txn_ts: '2024-01-01T10:00:03' },
        ]);
        await writeTinySilverLake(lake, { '2024-01-02': 4 });
        await warehouse.loadFiles({
          target,
          files: [`${folder}/event_date=2024-01-02/**/*.parquet`],
          format: 'parquet',
          replace: { kind: 'in', column: 'event_date', values: ['2024-01-02'] },
        });
        expect(await count()).toEqual([
          { event_date: '2024-01-01', n: 3, total: '9.00' },
          { event_date: '2024-01-02', n: 4, total: '15.00' },
        ]);
      },
    );

    run('replaces by key only the rows a filter keeps, when it filters what it loads', async () => {
      if (!warehouse.capabilities.filtersLoadedRows) return;
      const lake = mkdtempSync(join(tmpdir(), 'contract-key-'));
      await writeTinySilverLake(lake, { '2024-01-01': 3, '2024-01-02': 2 });
      const target = { schema: 'contract', name: 'keyed' };
      const folder = join(lake, 'silver', 'transactions');
      const load = { target, format: 'parquet' as const, key: ['transaction_id'] };
      await warehouse.loadFiles({ ...load, files: [`${folder}/**/*.parquet`] });
      // A rewritten 2024-01-02 whose first two rows changed: only the rows with is_refund = false are loaded.
      await writeTinySilverLake(lake, { '2024-01-02': 3 });
      await warehouse.execute("update contract.keyed set amount = 0 where transaction_id = 't-2024-01-02-2'");
      const result = await warehouse.loadFiles({
        ...load,
        files: [`${folder}/event_date=2024-01-02/**/*.parquet`],
        replace: { kind: 'key' },
        only: { column: 'is_refund', equals: 'false', type: { kind: 'boolean' } },
      });
      expect(result).toEqual({ relation: target, rows: 2 });
      const { rows } = await warehouse.query(
        "select transaction_id, amount from contract.keyed where event_date = '2024-01-02' order by 1",
      );
      expect(rows).toEqual([
        { transaction_id: 't-2024-01-02-1', amount: '1.50' },
        { transaction_id: 't-2024-01-02-2', amount: '3.00' },
      ]);
      await warehouse.drop(target);
    });

    run(
      "records what it loaded in the load's own transaction: a failing record leaves the table as it was",
      async () => {
        const lake = mkdtempSync(join(tmpdir(), 'contract-record-'));
        await writeTinySilverLake(lake, { '2024-01-01': 3, '2024-01-02': 2, '2024-01-03': 2 });
        const target = { schema: 'contract', name: 'recorded_load' };
        const folder = join(lake, 'silver', 'transactions');
        await warehouse.execute('create table if not exists contract.loads (what varchar)');
        const record = (what: string) => [`insert into contract.loads values ('${what}')`];
        const count = async () =>
          Number((await warehouse.query('select count(*) as n from contract.recorded_load')).rows[0]!['n']);
        await warehouse.loadFiles({
          target,
          format: 'parquet',
          files: [`${folder}/event_date=2024-01-01/**/*.parquet`],
          alsoExecute: record('first'),
        });
        expect(await count()).toBe(3);
        const days = ['2024-01-02', '2024-01-03'];
        const partial = {
          target,
          format: 'parquet' as const,
          files: days.map((day) => `${folder}/event_date=${day}/**/*.parquet`),
          replace: { kind: 'in' as const, column: 'event_date', values: days },
        };
        await expect(
          warehouse.loadFiles({ ...partial, alsoExecute: ['insert into contract.no_such_table values (1)'] }),
        ).rejects.toThrow();
        expect(await count()).toBe(3);
        await warehouse.loadFiles({ ...partial, alsoExecute: record('second') });
        expect(await count()).toBe(7);
        // Nothing to load (every file of the partitions gone) still records, in the delete's transaction.
        await warehouse.loadFiles({ ...partial, files: [], alsoExecute: record('emptied') });
        expect(await count()).toBe(3);
        expect((await warehouse.query('select what from contract.loads order by what')).rows).toEqual([
          { what: 'emptied' },
          { what: 'first' },
          { what: 'second' },
        ]);
        if (warehouse.capabilities.filtersLoadedRows) {
          // A filter on several values keeps the rows of any of them.
          const result = await warehouse.loadFiles({
            ...partial,
            only: { column: 'event_date', equals: days, type: { kind: 'date' } },
          });
          expect(result.rows).toBe(4);
        }
        await warehouse.drop(target);
        await warehouse.drop({ schema: 'contract', name: 'loads' });
      },
    );

    run('creates an empty table of declared columns unless one exists', async () => {
      const target = { schema: 'contract', name: 'declared' };
      const columns = [
        { name: 'id', type: { kind: 'varchar', maxLength: 8 } },
        { name: 'day', type: { kind: 'date' } },
        { name: 'amount', type: { kind: 'decimal', precision: 18, scale: 2 } },
      ] as const;
      await warehouse.createTable(target, [...columns], { primaryKey: ['id', 'day'] });
      await warehouse.execute("insert into contract.declared values ('a', '2024-01-01', 1.5)");
      await warehouse.createTable(target, [...columns], { primaryKey: ['id', 'day'] });
      expect((await warehouse.query('select * from contract.declared')).rows).toEqual([
        { id: 'a', day: '2024-01-01', amount: '1.50' },
      ]);
      await expect(
        warehouse.execute("insert into contract.declared values ('a', '2024-01-01', 2)"),
      ).rejects.toThrow();
      await warehouse.drop(target);
    });

    run('exposes the subset of a relation, read from the files given where it reads files', async () => {
      const lake = mkdtempSync(join(tmpdir(), 'contract-subset-'));
      await writeTinySilverLake(lake, { '2024-01-01': 3, '2024-01-02': 2 });
      const from = { schema: 'contract', name: 'all_rows' };
      const folder = join(lake, 'silver', 'transactions');
      await warehouse.loadFiles({ target: from, files: [`${folder}/**/*.parquet`], format: 'parquet' });
      const subset = { schema: 'contract', name: 'refunds' };
      await warehouse.exposeSubset(subset, {
        from,
        where: { column: 'is_refund', equals: 'true', type: { kind: 'boolean' } },
        files: { paths: [join(folder, 'event_date=2024-01-01', 'merchant_category=food', 'part-0.parquet')] },
      });
      const { rows } = await warehouse.query('select transaction_id from contract.refunds order by 1');
      expect(rows).toEqual([{ transaction_id: 't-2024-01-01-3' }]);
      await warehouse.exposeSubset(subset, {
        from,
        where: { column: 'is_refund', equals: 'false', type: { kind: 'boolean' } },
      });
      expect((await warehouse.query('select count(*) as n from contract.refunds')).rows).toEqual([{ n: 4 }]);
      await warehouse.drop(subset);
      await warehouse.drop(from);
    });

    run('reads Parquet files in place through a view, when it reads Parquet itself', async () => {
      if (!warehouse.capabilities.readsParquetDirectly) {
        await expect(
          warehouse.createFileView({ schema: 'contract', name: 'files' }, { paths: ['/nowhere/*.parquet'] }),
        ).rejects.toThrow(/cannot read files in place/);
        return;
      }
      const lake = mkdtempSync(join(tmpdir(), 'contract-view-'));
      await writeTinySilverLake(lake, { '2024-01-01': 3 });
      const target = { schema: 'contract', name: 'files' };
      const paths = [join(lake, 'silver', 'transactions', '**', '*.parquet')];
      await warehouse.createFileView(target, { paths, sameColumns: true });
      expect(await warehouse.relationKind(target)).toBe('view');
      await writeTinySilverLake(lake, { '2024-01-02': 2 });
      expect((await warehouse.query('select count(*) as n from contract.files')).rows).toEqual([{ n: 5 }]);
      await warehouse.drop(target);
    });

    run('loads snapshots by snapshot_date and quarantine Parquet by glob, appending', async () => {
      const lake = mkdtempSync(join(tmpdir(), 'contract-entities-'));
      const db = await DuckDBInstance.create(':memory:');
      const connection = await db.connect();
      for (const [day, names] of [
        ['2024-01-01', "'Ann', 'Bo'"],
        ['2024-01-02', "'Ann B.', 'Bo'"],
      ] as const) {
        const dir = join(lake, 'silver', 'customers', `snapshot_date=${day}`);
        mkdirSync(dir, { recursive: true });
        await connection.run(
          `copy (select 'c' || i as customer_id, [${names}][i] as name, date '${day}' as snapshot_date from range(1, 3) r(i)) to '${dir}/part-0.parquet' (format parquet)`,
        );
      }
      const quarantine = join(lake, 'quarantine', 'transactions', 'ingest_date=2024-01-01');
      mkdirSync(quarantine, { recursive: true });
      await connection.run(
        `copy (select 'r1' as run_id, date '2024-01-01' as ingest_date, 'f.jsonl' as source_file, 7 as line, ['invalid_amount'] as reason_codes, '{"amount":"x"}' as raw_record) to '${quarantine}/q.parquet' (format parquet)`,
      );
      connection.closeSync();
      db.closeSync();
      const days = ['2024-01-01', '2024-01-02'];
      await warehouse.loadFiles({
        target: { schema: 'staging', name: 'silver_customers' },
        files: days.map((day) =>
          join(lake, 'silver', 'customers', `snapshot_date=${day}`, '**', '*.parquet'),
        ),
        format: 'parquet',
        replace: { kind: 'in', column: 'snapshot_date', values: days },
      });
      const { rows } = await warehouse.query(
        'select customer_id, name, snapshot_date from staging.silver_customers order by snapshot_date, customer_id',
      );
      expect(rows.map((r) => `${r['snapshot_date']} ${r['customer_id']} ${r['name']}`)).toEqual([
        '2024-01-01 c1 Ann',
        '2024-01-01 c2 Bo',
        '2024-01-02 c1 Ann B.',
        '2024-01-02 c2 Bo',
      ]);
      const target = { schema: 'audit', name: 'quarantine' };
      const files = `${lake}/quarantine/transactions/*/*.parquet`;
      await warehouse.loadFiles({ files: [files], format: 'parquet', target });
      await warehouse.loadFiles({ files: [files], format: 'parquet', target, replace: { kind: 'append' } });
      const { rows: quarantined } = await warehouse.query(
        'select run_id, line, raw_record from audit.quarantine',
      );
      expect(quarantined).toEqual([
        { run_id: 'r1', line: 7, raw_record: '{"amount":"x"}' },
        { run_id: 'r1', line: 7, raw_record: '{"amount":"x"}' },
      ]);
    });

    run(
      'withSignal: the statement running when its signal aborts stops, fails with the reason, rolls back',
      async () => {
        const table: Relation = { schema: 'contract', name: 'interrupted' };
        await warehouse.createTableFromRows(table, [{ name: 'id', type: 'integer' }], [['1']]);
        const controller = new AbortController();
        const reason = new Error('task models timed out after 1 s');
        const bound = warehouse.withSignal(controller.signal);
        let abortedAt = 0;
        const work = bound.transaction(async (session) => {
          await session.execute('insert into contract.interrupted values (2)');
          setTimeout(() => {
            abortedAt = Date.now();
            controller.abort(reason);
          }, 300);
          await session.query(context!.slowSelect);
        });
        // Work without the signal, queued behind it (DuckDB) or beside it (PostgreSQL), is not interrupted.
        const other = warehouse.query('select 42 as answer');
        expect(
          await work.then(
            () => 'finished',
            (error: unknown) => error,
          ),
        ).toBe(reason);
        // A generous bound: uninterrupted, the statement runs for many minutes.
        expect(Date.now() - abortedAt).toBeLessThan(60_000);
        expect((await other).rows).toEqual([{ answer: 42 }]);
        const { rows } = await warehouse.query('select id from contract.interrupted order by id');
        expect(rows).toEqual([{ id: 1 }]);
        // No statement starts under an aborted signal.
        await expect(bound.query('select 1 as one')).rejects.toBe(reason);
        await expect(bound.insertRows(table, ['id'], [[3]])).rejects.toBe(reason);
        expect((await warehouse.query('select count(*) as n from contract.interrupted')).rows).toEqual([
          { n: 1 },
        ]);
      },
    );

    run('withSignal: a table rebuild interrupted half-way leaves the old table as it was', async () => {
      const table: Relation = { schema: 'contract', name: 'rebuilt' };
      await warehouse.createTableAs(table, 'select 7 as n');
      const controller = new AbortController();
      const reason = new Error('task models was abandoned: the process was asked to stop');
      setTimeout(() => controller.abort(reason), 300);
      await expect(
        warehouse.withSignal(controller.signal).createTableAs(table, context!.slowSelect),
      ).rejects.toBe(reason);
      expect((await warehouse.query('select n from contract.rebuilt')).rows).toEqual([{ n: 7 }]);
      // Under a signal that has not aborted, the warehouse works as before.
      const live = warehouse.withSignal(new AbortController().signal);
      await live.createTableAs(table, 'select 8 as n');
      expect((await live.query('select n from contract.rebuilt')).rows).toEqual([{ n: 8 }]);
    });

    run('loads flat JSON files into a table, replacing it', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'contract-ledger-'));
      writeFileSync(
        join(dir, 'a.json'),
        JSON.stringify({ run_id: 'r1', ingest_date: '2024-01-01', bronze_rows: 10 }),
      );
      writeFileSync(
        join(dir, 'b.json'),
        JSON.stringify({ run_id: 'r2', ingest_date: '2024-01-02', bronze_rows: 7 }),
      );
      const target = { schema: 'audit', name: 'ledger' };
      for (let i = 0; i < 2; i++) {
        const { rows } = await warehouse.loadFiles({ files: [`${dir}/*.json`], format: 'json', target });
        expect(rows).toBe(2);
      }
      const { rows } = await warehouse.query('select run_id, bronze_rows from audit.ledger order by run_id');
      expect(rows).toEqual([
        { run_id: 'r1', bronze_rows: 10 },
        { run_id: 'r2', bronze_rows: 7 },
      ]);
    });
  });
}
