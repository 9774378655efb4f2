/**
 * The end of a model's change records (config `record_changes`): they are emptied only after every model that
 * reads them (`changed_rows('x')`) has built in this run. Until then they accumulate, so a run killed between
 * the writer's commit and a reader's — or one where a reader failed or was not selected — leaves them for the
 * next run, whose readers recompute those groups again: a reader recomputes a group from the writer's current
 * rows, so seeing a record twice changes nothing. (The other sound design, one transaction for every
 * incremental model of a run, would serialize the models on one connection and, on DuckDB, build each one's
 * batch inside that transaction, which DuckDB scans on one thread.)
 */
import type { Warehouse } from '../../warehouse/warehouse.ts';
import type { ModelCompiler } from '../compile/model-compiler.ts';
import type { ModelProject } from '../project/model-project.ts';

/** Who reads the change records of `name`: the models whose SQL or config calls changed_rows('name'). */
export function changeReaders(project: ModelProject, name: string): string[] {
  return [...project.models.values()]
    .filter((model) => model.readsChangesOf.includes(name))
    .map((model) => model.name);
}

/**
 * Empties the change records every reader of which built (`built`: the models this run built); returns their
 * relations as `schema.name`. A full build's record (a view of every row) becomes an empty table of its columns,
 * so a reader run on its own still finds the relation.
 */
export async function consumeChanges(
  warehouse: Warehouse,
  project: ModelProject,
  compiler: ModelCompiler,
  built: ReadonlySet<string>,
): Promise<string[]> {
  const consumed: string[] = [];
  for (const model of project.models.values()) {
    if (!model.config.record_changes) continue;
    if (!changeReaders(project, model.name).every((reader) => built.has(reader))) continue;
    const relation = compiler.changesRelationOf(model.name);
    const kind = await warehouse.relationKind(relation);
    if (kind === 'table') {
      // A day's records are a row per fact row the day changed: TRUNCATE drops them without the dead rows a
      // DELETE leaves to PostgreSQL's vacuum (every engine here spells it this way).
      await warehouse.execute(`truncate table ${warehouse.quoteRelation(relation)}`);
    } else if (kind === 'view') {
      const columns = model.config.record_changes.map((column) => warehouse.quoteIdentifier(column));
      await warehouse.createTableAs(
        relation,
        `select ${columns.join(', ')} from ${warehouse.quoteRelation(compiler.relationOf(model.name))} where 1 = 0`,
      );
    } else continue;
    consumed.push(`${relation.schema}.${relation.name}`);
  }
  return consumed;
}
