/**
 * PostgreSQL cannot drop a relation other views depend on, so replacing a table or view records the views
 * built on it (transitively, deepest last: dependent-views.sql), drops with CASCADE, and recreates them once the
 * new relation exists, all in the caller's transaction: rebuilding one model never loses the views on it.
 */
import { readFileSync } from 'node:fs';
import type { Relation, SqlSession, Warehouse } from '../warehouse.ts';

const DEPENDENT_VIEWS_SQL = readFileSync(new URL('./dependent-views.sql', import.meta.url), 'utf8');

/** Runs `drop` (a DROP … CASCADE of `target`) and returns what recreates the views it removed. */
export async function dropKeepingDependentViews(
  session: SqlSession,
  quoting: Pick<Warehouse, 'quoteLiteral' | 'quoteRelation'>,
  target: Relation,
  drop: string,
): Promise<() => Promise<void>> {
  const { rows: dependents } = await session.query(
    DEPENDENT_VIEWS_SQL.replaceAll('$target', quoting.quoteLiteral(quoting.quoteRelation(target))),
  );
  await session.execute(drop);
  return async () => {
    for (const view of dependents) {
      const relation = { schema: String(view['schema_name']), name: String(view['view_name']) };
      await session.execute(
        `create view ${quoting.quoteRelation(relation)} as ${String(view['definition'])}`,
      );
    }
  };
}
