import type { Materialization } from './materialization.ts';

/** `materialized='view'`: the SELECT stored as a view; cheap to build, computed at read time. */
export const viewMaterialization: Materialization = {
  async materialize({ warehouse, model }) {
    await warehouse.createView(model.relation, model.sql);
    return 'created view';
  },
};
