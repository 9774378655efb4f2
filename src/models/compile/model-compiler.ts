/**
 * Compile step: renders a model's SQL for one engine with ref()/source()/this resolved to relations, vars
 * bound, and is_incremental() answered. Ephemeral models are inlined as CTEs of the models that ref them.
 */
import type { Relation, Warehouse } from '../../warehouse/warehouse.ts';
import { ModelProjectError } from '../model-error.ts';
import type { ModelConfig, ModelNode, ModelProject, ModelSource } from '../project/model-project.ts';
import { sourceKey } from '../project/model-project.ts';
import { type RenderContext, TemplateRenderer } from './template-renderer.ts';

export interface CompiledModel {
  name: string;
  relation: Relation;
  config: ModelConfig;
  /** The file that was rendered (engine variant or default). */
  path: string;
  /** A SELECT statement, ephemeral dependencies inlined as leading CTEs. */
  sql: string;
  /** config record_changes: where the rows an incremental run inserts and deletes are kept. */
  changesRelation?: Relation;
  /** config delete_where, rendered like the model (incremental builds only). */
  deleteWhere?: string;
}

type Dialect = Pick<Warehouse, 'quoteRelation' | 'dispatchOrder' | 'engine'>;

const LEADING_WITH = /^((?:\s+|--[^\n]*\n|\/\*[\s\S]*?\*\/)*)with\s/i;

export class ModelCompiler {
  readonly renderer: TemplateRenderer;

  constructor(
    private readonly project: ModelProject,
    private readonly dialect: Dialect,
    private readonly vars: Record<string, unknown>,
  ) {
    this.renderer = new TemplateRenderer(project.macros, dialect.dispatchOrder, dialect.engine);
  }

  /** Where a model or seed lives: schema = config(schema) or the model's top folder; seeds go to staging. */
  relationOf(name: string): Relation {
    const model = this.project.models.get(name);
    if (model) return { schema: model.config.schema ?? model.folder, name: model.config.alias ?? model.name };
    if (this.project.seeds.has(name)) return { schema: 'staging', name };
    throw new ModelProjectError(`ref('${name}') names no model or seed`);
  }

  /** Where model `name` keeps the rows its last incremental run inserted and deleted (config `record_changes`). */
  changesRelationOf(name: string): Relation {
    const model = this.project.models.get(name);
    if (!model?.config.record_changes) {
      throw new ModelProjectError(`changed_rows('${name}'): model ${name} has no record_changes config`);
    }
    const relation = this.relationOf(name);
    return { schema: relation.schema, name: `${relation.name}__changes` };
  }

  /** A declared source's relation, else the convention `staging.<source>_<table>` (silver → staging.silver_x). */
  sourceRelation(source: string, table: string): Relation {
    const declared = this.project.sources.get(sourceKey(source, table));
    return declared
      ? { schema: declared.schema, name: declared.identifier }
      : { schema: 'staging', name: `${source}_${table}` };
  }

  /** The model file for this engine: the first of the engine's dispatch order that exists, else `x.sql`. */
  fileFor(model: ModelNode): ModelSource {
    for (const engine of this.dialect.dispatchOrder) {
      const file = model.files.engines[engine];
      if (file) return file;
    }
    return model.files.default;
  }

  variable(name: string, fallback: unknown): unknown {
    const value = this.vars[name] ?? this.project.vars[name] ?? fallback;
    if (value === undefined) throw new Error(`var('${name}') is not set; pass it with --vars ${name}=…`);
    return value;
  }

  /** Renders any template (a test) against this project, resolving ref/source/var like a model. */
  renderTemplate(
    path: string,
    sql: string,
    variables: Record<string, unknown> = {},
    onConfig: (values: Record<string, unknown>) => void = () => undefined,
  ): string {
    const ctes = new Map<string, string>();
    const rendered = this.renderer.render(path, sql, {
      ...this.projectContext(ctes),
      config: onConfig,
      isIncremental: () => false,
      variables,
    });
    return withCtes(rendered, ctes);
  }

  /** What every template of the project resolves: ref (ephemeral models gathered into `ctes`), source, var. */
  private projectContext(
    ctes: Map<string, string>,
  ): Pick<RenderContext, 'ref' | 'changedRows' | 'source' | 'variable'> {
    return {
      ref: (name) => this.refSql(name, ctes),
      changedRows: (name) => this.dialect.quoteRelation(this.changesRelationOf(name)),
      source: (source, table) => this.dialect.quoteRelation(this.sourceRelation(source, table)),
      variable: (name, fallback) => this.variable(name, fallback),
    };
  }

  /** A model's own SQL and its rebuild_if: the project context plus `this` and is_incremental(). */
  private modelContext(model: ModelNode, incremental: boolean, ctes: Map<string, string>): RenderContext {
    return {
      ...this.projectContext(ctes),
      config: () => undefined,
      isIncremental: () => incremental,
      self: this.dialect.quoteRelation(this.relationOf(model.name)),
    };
  }

  private refSql(name: string, ctes: Map<string, string>): string {
    const model = this.project.models.get(name);
    if (model?.config.materialized === 'ephemeral') {
      const cte = `__cte__${name}`;
      if (!ctes.has(cte)) {
        const inner = this.renderBody(model, false, ctes);
        ctes.set(cte, inner);
      }
      return `"${cte}"`;
    }
    return this.dialect.quoteRelation(this.relationOf(name));
  }

  private renderBody(model: ModelNode, incremental: boolean, ctes: Map<string, string>): string {
    const file = this.fileFor(model);
    return this.renderer
      .render(file.path, file.sql, this.modelContext(model, incremental, ctes))
      .trim()
      .replace(/;\s*$/, '');
  }

  /** The model's `rebuild_if` query rendered against its existing table, or undefined when it has none. */
  rebuildCondition(name: string): string | undefined {
    const model = this.project.models.get(name);
    if (!model?.config.rebuild_if) return undefined;
    const ctes = new Map<string, string>();
    const sql = this.renderer.render(
      `${this.fileFor(model).path} (rebuild_if)`,
      model.config.rebuild_if,
      this.modelContext(model, true, ctes),
    );
    return withCtes(sql.trim(), ctes);
  }

  compile(name: string, options: { incremental: boolean }): CompiledModel {
    const model = this.project.models.get(name);
    if (!model) throw new ModelProjectError(`no model named '${name}'`);
    const ctes = new Map<string, string>();
    const body = this.renderBody(model, options.incremental, ctes);
    const compiled: CompiledModel = {
      name,
      relation: this.relationOf(name),
      config: model.config,
      path: this.fileFor(model).path,
      sql: withCtes(body, ctes),
    };
    if (model.config.record_changes) compiled.changesRelation = this.changesRelationOf(name);
    if (model.config.delete_where && options.incremental) {
      const whereCtes = new Map<string, string>();
      const where = this.renderer.render(
        `${compiled.path} (delete_where)`,
        model.config.delete_where,
        this.modelContext(model, true, whereCtes),
      );
      if (whereCtes.size) {
        throw new ModelProjectError(`${compiled.path}: delete_where cannot ref an ephemeral model`);
      }
      compiled.deleteWhere = where.trim();
    }
    return compiled;
  }
}

/** Prepends ephemeral CTEs, merging with the model's own leading WITH if it has one. */
function withCtes(sql: string, ctes: Map<string, string>): string {
  if (ctes.size === 0) return sql;
  const list = [...ctes].map(([name, body]) => `"${name}" as (\n${body}\n)`).join(',\n');
  const match = LEADING_WITH.exec(sql);
  if (match) return `${match[1]}with ${list},\n${sql.slice(match[0].length)}`;
  return `with ${list}\n${sql}`;
}
