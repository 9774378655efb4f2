/**
 * Keeping PostgreSQL's planner and storage in step with what loads and incremental models change: planner
 * statistics after a load, dead rows after a delete+insert or merge.
 */
import type { Relation, SqlSession, Warehouse } from '../warehouse.ts';
import type { SourceColumn } from './copy-from-duckdb.ts';

type Quoting = Pick<Warehouse, 'quoteIdentifier' | 'quoteLiteral' | 'quoteRelation'>;

/**
 * Refreshes the planner statistics of a loaded table. With `statisticsColumns` (the columns queries filter,
 * join and group on), those get PostgreSQL's full sample and the other loaded columns one a tenth its size:
 * enough for their widths, which size the sorts and hashes of the queries reading them, at a fraction of the
 * cost (ANALYZE's time grows with its sample). Without, all columns get the full sample.
 */
export async function analyzeLoaded(
  session: SqlSession,
  quoting: Quoting,
  target: Relation,
  loaded: SourceColumn[],
  statisticsColumns?: string[],
): Promise<void> {
  const table = quoting.quoteRelation(target);
  if (!statisticsColumns) return session.execute(`analyze ${table}`);
  const list = (names: string[]) => names.map((name) => quoting.quoteIdentifier(name)).join(', ');
  const planned = loaded.map((c) => c.name).filter((name) => statisticsColumns.includes(name));
  const carried = loaded.map((c) => c.name).filter((name) => !statisticsColumns.includes(name));
  if (carried.length > 0) {
    await session.execute('set local default_statistics_target = 10');
    await session.execute(`analyze ${table} (${list(carried)})`);
    await session.execute('set local default_statistics_target to default');
  }
  // Last, so the table's row estimate (every ANALYZE sets it) comes from the larger sample.
  if (planned.length > 0) await session.execute(`analyze ${table} (${list(planned)})`);
}

/**
 * `VACUUM (ANALYZE)` the table when autovacuum will not (switched off on the server, or for the table): nothing
 * else reclaims the rows a daily run deletes, and every later scan reads them. With autovacuum on, it does this
 * itself, in the background.
 */
export async function reclaimDeadRows(
  warehouse: Pick<Warehouse, 'query' | 'execute'>,
  quoting: Quoting,
  target: Relation,
): Promise<void> {
  const table = quoting.quoteRelation(target);
  const { rows } = await warehouse.query(
    `select current_setting('autovacuum')::boolean and coalesce((select option_value::boolean from pg_options_to_table(reloptions) where option_name = 'autovacuum_enabled'), true) as autovacuum from pg_class where oid = to_regclass(${quoting.quoteLiteral(table)})`,
  );
  if (rows[0]?.['autovacuum'] === false) await warehouse.execute(`vacuum (analyze) ${table}`);
}
