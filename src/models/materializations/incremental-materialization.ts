/**
 * `materialized='incremental'`: the first run (or `--full-refresh`) builds the whole table; later runs apply
 * the rows the model selects under `is_incremental()` with its strategy:
 * - `append`: insert them;
 * - `delete+insert`: replace every partition (`partition_by`, e.g. event_date) — or key — they contain, and
 *   empty the `partitions` listed in config even where no new row falls (the rows there moved or vanished);
 * - `merge`: upsert by `unique_key`; engines without MERGE get delete+insert by the key, same result.
 */
import { type Materialization, tableOptions } from './materialization.ts';

export const incrementalMaterialization: Materialization = {
  async materialize({ warehouse, model, incremental }) {
    if (!incremental) {
      await warehouse.createTableAs(model.relation, model.sql, tableOptions(model.config));
      return 'created table';
    }
    const { config } = model;
    switch (config.incremental_strategy ?? 'append') {
      case 'append':
        await warehouse.insertInto(model.relation, model.sql);
        return 'appended';
      case 'delete+insert': {
        const keys = config.partition_by ?? config.unique_key!;
        const listed = config.partitions?.length
          ? `${warehouse.quoteIdentifier(keys[0]!)} in (${config.partitions.map((value) => warehouse.quoteLiteral(value)).join(', ')})`
          : undefined;
        await warehouse.deleteInsert(model.relation, model.sql, keys, listed);
        return `replaced by ${keys.join(', ')}`;
      }
      case 'merge':
        if (warehouse.capabilities.supportsMerge) {
          await warehouse.merge(model.relation, model.sql, config.unique_key!);
          return 'merged';
        }
        await warehouse.deleteInsert(model.relation, model.sql, config.unique_key!);
        return `replaced by ${config.unique_key!.join(', ')} (no MERGE)`;
    }
  },
};
