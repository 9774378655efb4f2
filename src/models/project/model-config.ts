/** Turns loosely typed config (YAML, `{{ config(...) }}` keywords) into a checked {@link ModelConfig}. */
import { ModelProjectError } from '../model-error.ts';
import type { IncrementalStrategy, Materialization, ModelConfig } from './model-project.ts';

const MATERIALIZATIONS: Materialization[] = ['view', 'table', 'incremental', 'ephemeral'];
const STRATEGIES: IncrementalStrategy[] = ['append', 'delete+insert', 'merge'];

function list(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'object' && 'field' in value) return [String((value as { field: unknown }).field)];
  return [String(value)];
}

/** Strips dbt's `+` prefix from project-file keys. */
export function plainKeys(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key.replace(/^\+/, ''), value]));
}

/** Applies `layers` in order (later wins) over the defaults; `where` names the file for errors. */
export function resolveModelConfig(layers: Record<string, unknown>[], where: string): ModelConfig {
  const raw = Object.assign({}, ...layers.map(plainKeys)) as Record<string, unknown>;
  const materialized = (raw['materialized'] ?? 'view') as Materialization;
  if (!MATERIALIZATIONS.includes(materialized)) {
    throw new ModelProjectError(
      `${where}: materialized='${materialized}' must be one of ${MATERIALIZATIONS.join(', ')}`,
    );
  }
  const strategy = raw['incremental_strategy'] as IncrementalStrategy | undefined;
  if (strategy !== undefined && !STRATEGIES.includes(strategy)) {
    throw new ModelProjectError(
      `${where}: incremental_strategy='${strategy}' must be one of ${STRATEGIES.join(', ')}`,
    );
  }
  const config: ModelConfig = {
    materialized,
    tags: list(raw['tags']) ?? [],
    enabled: raw['enabled'] !== false,
  };
  if (raw['schema'] !== undefined) config.schema = String(raw['schema']);
  if (raw['alias'] !== undefined) config.alias = String(raw['alias']);
  const uniqueKey = list(raw['unique_key']);
  if (uniqueKey) config.unique_key = uniqueKey;
  if (strategy) config.incremental_strategy = strategy;
  const partitionBy = list(raw['partition_by']);
  if (partitionBy) config.partition_by = partitionBy;
  const partitions = list(raw['partitions']);
  if (partitions) {
    if (partitionBy?.length !== 1) {
      throw new ModelProjectError(`${where}: partitions=[…] needs exactly one partition_by column`);
    }
    config.partitions = partitions;
  }
  if (raw['rebuild_if'] !== undefined) {
    if (materialized !== 'incremental') {
      throw new ModelProjectError(`${where}: rebuild_if applies to materialized='incremental' only`);
    }
    config.rebuild_if = String(raw['rebuild_if']);
  }
  const recordChanges = list(raw['record_changes']);
  if (recordChanges) config.record_changes = recordChanges;
  if (raw['delete_where'] !== undefined) config.delete_where = String(raw['delete_where']);
  if (raw['dist'] !== undefined) config.dist = String(raw['dist']);
  const sort = list(raw['sort']);
  if (sort) config.sort = sort;
  if (materialized === 'incremental') {
    const chosen =
      config.incremental_strategy ??
      (config.unique_key ? 'merge' : config.partition_by ? 'delete+insert' : 'append');
    config.incremental_strategy = chosen;
    if (chosen === 'merge' && !config.unique_key) {
      throw new ModelProjectError(`${where}: incremental_strategy='merge' needs unique_key`);
    }
    if (chosen === 'delete+insert' && !config.partition_by && !config.unique_key) {
      throw new ModelProjectError(
        `${where}: incremental_strategy='delete+insert' needs partition_by or unique_key`,
      );
    }
    if (config.record_changes && chosen === 'append') {
      throw new ModelProjectError(
        `${where}: record_changes needs incremental_strategy delete+insert or merge`,
      );
    }
    if (config.delete_where && chosen !== 'delete+insert') {
      throw new ModelProjectError(`${where}: delete_where needs incremental_strategy='delete+insert'`);
    }
  } else if (config.record_changes || config.delete_where) {
    throw new ModelProjectError(
      `${where}: ${config.record_changes ? 'record_changes' : 'delete_where'} applies to materialized='incremental' only`,
    );
  }
  return config;
}
