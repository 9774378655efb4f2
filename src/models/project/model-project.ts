/**
 * What a dbt-style project holds once read from disk (parse step): models with their refs and config,
 * sources, seeds, macros and tests. Nothing here touches a warehouse.
 */

export type Materialization = 'view' | 'table' | 'incremental' | 'ephemeral';
export type IncrementalStrategy = 'append' | 'delete+insert' | 'merge';
export type Severity = 'warn' | 'error';

/** `{{ config(...) }}` merged over the model's YAML `config:` and the project's defaults. */
export interface ModelConfig {
  materialized: Materialization;
  schema?: string;
  /** Alias of the relation (default: the model's name). */
  alias?: string;
  unique_key?: string[];
  incremental_strategy?: IncrementalStrategy;
  partition_by?: string[];
  /**
   * delete+insert by partition: partition values to replace even when the new rows hold none of them (a date
   * whose last row moved away), like dbt-bigquery's `partitions`. Rendered with the run's vars.
   */
  partitions?: string[];
  /**
   * incremental: a SELECT of one boolean, rendered like the model (`{{ this }}`, vars, macros) and run against
   * the existing table before an incremental build; true rebuilds the model in full, as `--full-refresh`
   * would — for a change an incremental run cannot patch (an older snapshot arriving after a newer one).
   */
  rebuild_if?: string;
  /**
   * incremental delete+insert or merge: these columns of every row an incremental run inserts or deletes are
   * added to the table `<relation>__changes` (after a full build, a view of every row), which models downstream
   * read with `{{ changed_rows('name') }}` to recompute only the groups that changed; `models run` empties it
   * once every model that reads it has built (run/consume-changes.ts).
   */
  record_changes?: string[];
  /**
   * incremental delete+insert: a predicate on the existing table (a template rendered like the model, `{{ this }}`
   * names the table), whose rows are deleted with the replaced ones: groups that must end up empty because
   * their rows moved or vanished, where `partitions` would empty whole partitions.
   */
  delete_where?: string;
  tags: string[];
  /** Redshift distribution: a column name (DISTKEY) or even/all/auto. */
  dist?: string;
  /** Redshift sort key columns. */
  sort?: string[];
  enabled: boolean;
}

export interface ColumnDoc {
  name: string;
  description?: string;
  tests: TestSpec[];
}

/** A generic test declared in YAML: its name (`unique`, `accepted_values`, …), arguments and severity. */
export interface TestSpec {
  test: string;
  args: Record<string, unknown>;
  severity: Severity;
  /**
   * dbt's `where` test config: a predicate (a template, rendered with the run's vars and macros) that limits
   * the tested rows, so a daily run checks the rows it wrote instead of rescanning the whole table.
   */
  where?: string;
}

/** One SQL file per engine variant: `x.sql` is the default, `x.postgres.sql` wins on PostgreSQL. */
export interface ModelSource {
  /** Path relative to the project, for messages (`models/core/x.sql`). */
  path: string;
  sql: string;
}

export interface ModelNode {
  name: string;
  /** Top folder under models/ (`staging`, `core`, `marts`); the default schema. */
  folder: string;
  files: { default: ModelSource; engines: Record<string, ModelSource> };
  description?: string;
  columns: ColumnDoc[];
  /** Model-level tests (expression_is_true, …). */
  tests: TestSpec[];
  config: ModelConfig;
  /** Names passed to ref() (models or seeds), found at parse time. */
  refs: string[];
  /**
   * Models whose change records (`changed_rows('x')`, config record_changes) this model reads, in its SQL or
   * its config (delete_where, rebuild_if): the records are consumed only once every such reader has built.
   */
  readsChangesOf: string[];
  /** [source, table] pairs passed to source(). */
  sources: [string, string][];
}

export interface SourceTable {
  source: string;
  name: string;
  schema: string;
  identifier: string;
  description?: string;
  columns: ColumnDoc[];
}

export interface SeedNode {
  name: string;
  path: string;
  /** Column → SQL type, from the seed's YAML `config.column_types`; others are inferred. */
  columnTypes: Record<string, string>;
  description?: string;
  columns: ColumnDoc[];
}

export interface SingularTest {
  name: string;
  path: string;
  sql: string;
}

export interface MacroFile {
  path: string;
  sql: string;
}

export interface ModelProject {
  dir: string;
  name: string;
  vars: Record<string, unknown>;
  models: Map<string, ModelNode>;
  sources: Map<string, SourceTable>;
  seeds: Map<string, SeedNode>;
  macros: MacroFile[];
  singularTests: SingularTest[];
  /**
   * dbt's `on-run-end` (dbt_project.yml): SQL templates run after a `models run` in which every selected model
   * built (dbt runs them after any run and lets them read `results`; here a failed run skips them).
   */
  onRunEnd: string[];
}

export function sourceKey(source: string, table: string): string {
  return `${source}.${table}`;
}
