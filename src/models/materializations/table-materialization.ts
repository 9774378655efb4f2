import { type Materialization, tableOptions } from './materialization.ts';

/** `materialized='table'`: rebuilt in full beside the old one and swapped in, so readers never see it half built. */
export const tableMaterialization: Materialization = {
  async materialize({ warehouse, model }) {
    await warehouse.createTableAs(model.relation, model.sql, tableOptions(model.config));
    return 'created table';
  },
};
