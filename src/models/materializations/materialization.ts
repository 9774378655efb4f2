/**
 * A materialization is a small strategy chosen by a model's `materialized` config. It only calls
 * {@link Warehouse} operations, so it runs unchanged on every engine (SQLMesh's model kinds).
 */
import type { TableOptions, Warehouse } from '../../warehouse/warehouse.ts';
import type { CompiledModel } from '../compile/model-compiler.ts';
import type { ModelConfig } from '../project/model-project.ts';

export interface MaterializeRequest {
  warehouse: Warehouse;
  model: CompiledModel;
  /** What exists at the target now. */
  existing: 'table' | 'view' | undefined;
  /** The model was compiled with is_incremental() true (an incremental table exists, no --full-refresh). */
  incremental: boolean;
}

export interface Materialization {
  /** Builds the relation; returns what was done, for the run summary (`created table`, `merged`, …). */
  materialize(request: MaterializeRequest): Promise<string>;
}

/** Redshift physical options from config(dist=…, sort=…); other engines ignore them. */
export function tableOptions(config: ModelConfig): TableOptions {
  const options: TableOptions = {};
  if (config.dist) {
    if (['even', 'all', 'auto'].includes(config.dist.toLowerCase())) {
      options.distStyle = config.dist.toLowerCase() as TableOptions['distStyle'];
    } else options.distKey = config.dist;
  }
  if (config.sort?.length) options.sortKey = config.sort;
  return options;
}
