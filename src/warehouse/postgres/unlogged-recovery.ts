/**
 * Tables that copy files are UNLOGGED: loading them skips writing every row twice (no write-ahead log), at the
 * price that PostgreSQL empties them after a server crash (and standbys do not have them). A partial load that
 * finds such a table empty therefore rebuilds it from all of its files instead of adding to nothing.
 */
import type { Relation, Warehouse } from '../warehouse.ts';

/** True when `relation` is an UNLOGGED table that holds no row (as a server crash leaves it). */
export async function isEmptyUnlogged(
  warehouse: Pick<Warehouse, 'query' | 'quoteLiteral' | 'quoteRelation'>,
  relation: Relation,
): Promise<boolean> {
  const { rows } = await warehouse.query(
    `select relpersistence from pg_class where oid = to_regclass(${warehouse.quoteLiteral(warehouse.quoteRelation(relation))})`,
  );
  if (rows[0]?.['relpersistence'] !== 'u') return false;
  const { rows: sample } = await warehouse.query(
    `select 1 as found from ${warehouse.quoteRelation(relation)} limit 1`,
  );
  return sample.length === 0;
}
