/**
 * `materialized='incremental'`: the first run (or `--full-refresh`) builds the whole table; later runs apply
 * the rows the model selects under `is_incremental()` with its strategy:
 * - `append`: insert them;
 * - `delete+insert`: replace every partition (`partition_by`, e.g. event_date) — or key — they contain, and
 *   empty the `partitions` listed in config and the rows `delete_where` selects, even where no new row falls
 *   (the rows there moved or vanished);
 * - `merge`: upsert by `unique_key`; engines without MERGE get delete+insert by the key, same result.
 * With `record_changes`, the rows a run inserts and deletes are kept in `<relation>__changes` (a merge then runs
 * as delete+insert, which knows them); after a full build that relation is a view of every row: all changed.
 */
import type { DeleteInsertOptions, Warehouse } from '../../warehouse/warehouse.ts';
import type { CompiledModel } from '../compile/model-compiler.ts';
import { type Materialization, tableOptions } from './materialization.ts';

export const incrementalMaterialization: Materialization = {
  async materialize({ warehouse, model, incremental }) {
    const { config, changesRelation } = model;
    if (!incremental) {
      await warehouse.createTableAs(model.relation, model.sql, tableOptions(config));
      if (changesRelation) {
        const columns = config.record_changes!.map((column) => warehouse.quoteIdentifier(column));
        await warehouse.createView(
          changesRelation,
          `select ${columns.join(', ')} from ${warehouse.quoteRelation(model.relation)}`,
        );
      }
      return 'created table';
    }
    const recordChanges: DeleteInsertOptions = changesRelation
      ? { recordChanges: { relation: changesRelation, columns: config.record_changes! } }
      : {};
    switch (config.incremental_strategy ?? 'append') {
      case 'append':
        await warehouse.insertInto(model.relation, model.sql);
        return 'appended';
      case 'delete+insert': {
        const keys = config.partition_by ?? config.unique_key!;
        await warehouse.deleteInsert(model.relation, model.sql, keys, {
          ...recordChanges,
          alsoDeleteWhere: alsoDeleteWhere(model, warehouse),
        });
        return `replaced by ${keys.join(', ')}`;
      }
      case 'merge':
        if (warehouse.capabilities.supportsMerge && !changesRelation) {
          await warehouse.merge(model.relation, model.sql, config.unique_key!);
          return 'merged';
        }
        await warehouse.deleteInsert(model.relation, model.sql, config.unique_key!, recordChanges);
        return `replaced by ${config.unique_key!.join(', ')}${changesRelation ? '' : ' (no MERGE)'}`;
    }
  },
};

/** The predicates of config `partitions` (those values of the partition column) and `delete_where`. */
function alsoDeleteWhere(
  model: CompiledModel,
  warehouse: Pick<Warehouse, 'quoteIdentifier' | 'quoteLiteral'>,
): string[] {
  const { config } = model;
  const predicates: string[] = [];
  if (config.partitions?.length) {
    const column = warehouse.quoteIdentifier(config.partition_by![0]!);
    predicates.push(
      `${column} in (${config.partitions.map((value) => warehouse.quoteLiteral(value)).join(', ')})`,
    );
  }
  if (model.deleteWhere) predicates.push(model.deleteWhere);
  return predicates;
}
