/**
 * PostgreSQL's bulk loader: DuckDB reads the files (Parquet, JSON) and renders them as CSV, which streams into
 * `COPY … FROM STDIN` (copy-from-duckdb.ts). Replacing some rows happens in one transaction: delete them, COPY
 * the new ones (by key, through a temporary table). Filling a new table or replacing all of it builds the table
 * beside the target instead, in one transaction: create it, `COPY … FREEZE` (allowed because the table is new in
 * this transaction), key and analyse it (faster than loading into an index), then swap it in like a model
 * table. Each phase (copy, key, analyze) is reported as a `step-timed` event (scope `load`).
 */
import type { PoolClient } from 'pg';
import { abortedOr } from '../../core/interrupt-on-abort.ts';
import type { EventSink } from '../../core/pipeline-event.ts';
import { startStopwatch } from '../../core/stopwatch.ts';
import { statementSignal } from '../statement-signal.ts';
import type { ColumnInfo, Relation, RowReplacement, SqlSession, Warehouse } from '../warehouse.ts';
import {
  copyFromDuckdb,
  describeSource,
  expandGlobs,
  openDuckdbReader,
  type ReaderFor,
  type SourceColumn,
} from './copy-from-duckdb.ts';
import { postgresTypeForDuckdb } from './postgres-types.ts';
import { analyzeLoaded } from './table-maintenance.ts';

/** What the loader needs of the warehouse it loads into. */
export interface BulkLoadHost
  extends Pick<
    Warehouse,
    | 'quoteIdentifier'
    | 'quoteRelation'
    | 'quoteLiteral'
    | 'ensureSchema'
    | 'relationKind'
    | 'execute'
    | 'transaction'
  > {
  events: EventSink;
  /** A transaction that also hands over the raw client (COPY streams need it). */
  transactionOnClient<T>(fn: (client: PoolClient, session: SqlSession) => Promise<T>): Promise<T>;
  /** Drops `target` inside the session's transaction; returns what restores the views built on it. */
  dropForReplace(session: SqlSession, target: Relation): Promise<() => Promise<void>>;
  dropTableSql(target: Relation): string;
  columnsIn(session: SqlSession, target: Relation): Promise<ColumnInfo[]>;
}

export interface BulkLoadPlan {
  replace: RowReplacement;
  /** The table's unique key: its primary key when built here, and what `replace: key` matches on. */
  key?: string[];
  /** Columns that get the full ANALYZE sample; all when absent (table-maintenance.ts). */
  statisticsColumns?: string[];
  /** Build the table UNLOGGED (a copy of files: unlogged-recovery.ts). */
  unlogged: boolean;
  /** Statements run in the load's transaction once its rows are in (LoadFilesOptions.alsoExecute). */
  alsoExecute?: string[];
}

/** Loads the rows DuckDB reads from `globs` into `target` as `plan` says; returns the rows written. */
export async function loadWithDuckdb(
  host: BulkLoadHost,
  target: Relation,
  globs: string[],
  readerFor: ReaderFor,
  plan: BulkLoadPlan,
): Promise<number> {
  let watch = startStopwatch();
  const lap = (phase: string) => {
    host.events.emit({
      kind: 'step-timed',
      scope: 'load',
      step: `${target.schema}.${target.name} ${phase}`,
      ...watch.read(),
    });
    watch = startStopwatch();
  };
  await host.ensureSchema(target.schema);
  const exists = (await host.relationKind(target)) !== undefined;
  const deleteWhere = replacedRows(host, plan.replace);
  // One DuckDB thread renders CSV faster than a PostgreSQL session parses it, and leaves the other cores to
  // PostgreSQL.
  const duck = await openDuckdbReader(1);
  try {
    const files = await expandGlobs(duck.connection, globs);
    const alsoExecute = async (session: SqlSession) => {
      for (const statement of plan.alsoExecute ?? []) await session.execute(statement);
    };
    if (files.length === 0) {
      await host.transaction(async (session) => {
        if (exists && deleteWhere)
          await session.execute(`delete from ${host.quoteRelation(target)} where ${deleteWhere}`);
        await alsoExecute(session);
      });
      return 0;
    }
    const columns = await describeSource(duck.connection, readerFor(files));
    if (!exists || plan.replace.kind === 'all') {
      return await rebuildFromFiles(
        host,
        target,
        columns,
        plan,
        lap,
        (client, into, options) =>
          copyFromDuckdb(client, duck.connection, files, readerFor, into, columns, options),
        alsoExecute,
      );
    }
    const rows = await host.transactionOnClient(async (client, session) => {
      await addMissingColumns(host, session, target, columns);
      const copyInto = (into: string) =>
        copyFromDuckdb(client, duck.connection, files, readerFor, into, columns);
      let copied: number;
      if (plan.replace.kind === 'key') {
        copied = await replaceByKey(host, session, target, plan.key ?? [], copyInto);
      } else {
        if (deleteWhere)
          await session.execute(`delete from ${host.quoteRelation(target)} where ${deleteWhere}`);
        copied = await copyInto(host.quoteRelation(target));
      }
      await alsoExecute(session);
      return copied;
    });
    lap('copy');
    await host.transaction((session) =>
      analyzeLoaded(session, host, target, columns, plan.statisticsColumns),
    );
    lap('analyze');
    return rows;
  } catch (error) {
    // The reader's statements are interrupted too, outside any PostgreSQL session that would say why.
    throw abortedOr(statementSignal(), error);
  } finally {
    duck.close();
  }
}

/** The predicate on the table of the rows a load replaces by deleting them first (none for append and key). */
function replacedRows(host: BulkLoadHost, replace: RowReplacement): string | undefined {
  switch (replace.kind) {
    case 'all':
      return 'true';
    case 'in':
      return `${host.quoteIdentifier(replace.column)} in (${replace.values.map((value) => host.quoteLiteral(value)).join(', ') || 'null'})`;
    case 'append':
    case 'key':
      return undefined;
  }
}

/**
 * Copies rows into a temporary table shaped like `target`, then replaces the target's rows with the same key
 * by them: a few thousand superseded versions deleted, the rest inserted. Inside the caller's transaction.
 */
async function replaceByKey(
  host: BulkLoadHost,
  session: SqlSession,
  target: Relation,
  key: string[],
  copyInto: (relationSql: string) => Promise<number>,
): Promise<number> {
  const changed = host.quoteIdentifier('fintech_changed_rows');
  const targetSql = host.quoteRelation(target);
  await session.execute(`create temporary table ${changed} (like ${targetSql}) on commit drop`);
  const rows = await copyInto(changed);
  const match = key
    .map((column) => `t.${host.quoteIdentifier(column)} = c.${host.quoteIdentifier(column)}`)
    .join(' and ');
  await session.execute(`delete from ${targetSql} as t using ${changed} as c where ${match}`);
  await session.execute(`insert into ${targetSql} select * from ${changed}`);
  return rows;
}

function rebuildFromFiles(
  host: BulkLoadHost,
  target: Relation,
  columns: SourceColumn[],
  { key, statisticsColumns, unlogged }: BulkLoadPlan,
  lap: (phase: string) => void,
  copy: (client: PoolClient, into: string, options: { freeze: boolean }) => Promise<number>,
  alsoExecute: (session: SqlSession) => Promise<void>,
): Promise<number> {
  const beside: Relation = { schema: target.schema, name: `${target.name}__fintech_new` };
  return host.transactionOnClient(async (client, session) => {
    await session.execute(host.dropTableSql(beside));
    // Key columns NOT NULL from the start: COPY checks each row as it parses it, where adding the primary
    // key to nullable columns would scan the whole table once more to prove them non-null.
    await session.execute(createLoadedTableSql(host, beside, columns, unlogged ? 'unlogged' : '', key ?? []));
    const rows = await copy(client, host.quoteRelation(beside), { freeze: true });
    lap('copy');
    if (key) {
      // Enough memory to sort the keys in memory, and for PostgreSQL to give the sort a parallel worker.
      await session.execute(`set local maintenance_work_mem = '256MB'`);
      await session.execute(
        `alter table ${host.quoteRelation(beside)} add constraint ${host.quoteIdentifier(`${beside.name}_pkey`)} primary key (${key.map((k) => host.quoteIdentifier(k)).join(', ')})`,
      );
    }
    lap('key');
    await analyzeLoaded(session, host, beside, columns, statisticsColumns);
    lap('analyze');
    const restore = await host.dropForReplace(session, target);
    await session.execute(
      `alter table ${host.quoteRelation(beside)} rename to ${host.quoteIdentifier(target.name)}`,
    );
    if (key) {
      await session.execute(
        `alter table ${host.quoteRelation(target)} rename constraint ${host.quoteIdentifier(`${beside.name}_pkey`)} to ${host.quoteIdentifier(`${target.name}_pkey`)}`,
      );
    }
    await restore();
    await alsoExecute(session);
    return rows;
  });
}

/** A table with the columns DuckDB read from the files, in PostgreSQL's types. */
function createLoadedTableSql(
  host: BulkLoadHost,
  target: Relation,
  columns: SourceColumn[],
  persistence: '' | 'unlogged',
  notNull: string[],
): string {
  const list = columns.map(
    (column) =>
      `${host.quoteIdentifier(column.name)} ${postgresTypeForDuckdb(column.type)}${notNull.includes(column.name) ? ' not null' : ''}`,
  );
  return `create ${persistence} table ${host.quoteRelation(target)} (${list.join(', ')})`;
}

/** Files may bring columns the table lacks (a newer file schema): they are added, empty for the old rows. */
async function addMissingColumns(
  host: BulkLoadHost,
  session: SqlSession,
  target: Relation,
  columns: SourceColumn[],
): Promise<void> {
  const present = new Set((await host.columnsIn(session, target)).map((column) => column.name));
  for (const column of columns.filter((c) => !present.has(c.name))) {
    await session.execute(
      `alter table ${host.quoteRelation(target)} add column ${host.quoteIdentifier(column.name)} ${postgresTypeForDuckdb(column.type)}`,
    );
  }
}
