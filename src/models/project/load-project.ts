/**
 * Reads a dbt-style project folder (parse step): `dbt_project.yml`, `models/**\/*.sql` (+ `<name>.<engine>.sql`
 * variants), `models/**\/*.yml` (sources, docs, tests), `seeds/*.csv`, `macros/*.sql`, `tests/*.sql`. Each
 * model is rendered once with a recording context, so ref()/source()/config() calls become graph edges and
 * config — like dbt's parser.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type RenderContext, TemplateRenderer } from '../compile/template-renderer.ts';
import { ModelProjectError } from '../model-error.ts';
import { plainKeys, resolveModelConfig } from './model-config.ts';
import {
  type ColumnDoc,
  type MacroFile,
  type ModelNode,
  type ModelProject,
  type ModelSource,
  type SeedNode,
  type Severity,
  type SingularTest,
  type SourceTable,
  sourceKey,
  type TestSpec,
} from './model-project.ts';

/** Engines a `<name>.<engine>.sql` variant may name. */
export const MODEL_FILE_ENGINES = ['duckdb', 'postgres', 'redshift'];

function filesUnder(dir: string, extension: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((file) => file.endsWith(extension))
    .map((file) => join(dir, file))
    .sort();
}

function readYamlFile(path: string, where: string): Record<string, unknown> {
  try {
    return (parseYaml(readFileSync(path, 'utf8')) ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new ModelProjectError(`${where}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
}

function parseTests(raw: unknown, where: string): TestSpec[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ModelProjectError(`${where}: tests must be a list`);
  return raw.map((item) => {
    if (typeof item === 'string') return { test: item, args: {}, severity: 'error' as Severity };
    const [name, value] = Object.entries(item as Record<string, unknown>)[0] ?? [];
    if (!name) throw new ModelProjectError(`${where}: empty test entry`);
    const args = { ...((value ?? {}) as Record<string, unknown>) };
    const config = (args['config'] ?? {}) as Record<string, unknown>;
    const severity = String(config['severity'] ?? args['severity'] ?? 'error').toLowerCase();
    const rowFilter = config['where'] ?? args['where'];
    delete args['config'];
    delete args['severity'];
    delete args['where'];
    if (severity !== 'warn' && severity !== 'error') {
      throw new ModelProjectError(
        `${where}: test ${name} has severity '${severity}', expected warn or error`,
      );
    }
    if (rowFilter !== undefined && rowFilter !== null && typeof rowFilter !== 'string') {
      throw new ModelProjectError(`${where}: test ${name} has a where that is not a string`);
    }
    return {
      test: name,
      args,
      severity: severity as Severity,
      ...(typeof rowFilter === 'string' && rowFilter.trim() ? { where: rowFilter } : {}),
    };
  });
}

function parseColumns(raw: unknown, where: string): ColumnDoc[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((column: Record<string, unknown>) => ({
    name: String(column['name']),
    ...(column['description'] ? { description: String(column['description']) } : {}),
    tests: parseTests(column['data_tests'] ?? column['tests'], `${where} column ${String(column['name'])}`),
  }));
}

interface ModelDocs {
  description?: string;
  columns: ColumnDoc[];
  tests: TestSpec[];
  config: Record<string, unknown>;
}

/** `on-run-end` of dbt_project.yml: one SQL template or a list of them. */
function hooks(projectYaml: Record<string, unknown>): string[] {
  const raw = projectYaml['on-run-end'];
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  if (!list.every((hook) => typeof hook === 'string')) {
    throw new ModelProjectError('dbt_project.yml: on-run-end must be a SQL string or a list of them');
  }
  return list as string[];
}

export interface LoadProjectOptions {
  /** Vars known at parse time (dbt's `--vars`); unknown vars render as a placeholder while parsing. */
  vars?: Record<string, unknown>;
}

export function loadProject(dir: string, options: LoadProjectOptions = {}): ModelProject {
  if (!existsSync(dir)) throw new ModelProjectError(`model project folder '${dir}' does not exist`);
  const projectFile = join(dir, 'dbt_project.yml');
  const projectYaml = existsSync(projectFile) ? readYamlFile(projectFile, 'dbt_project.yml') : {};
  const name = String(projectYaml['name'] ?? basename(dir));
  const vars = { ...((projectYaml['vars'] ?? {}) as Record<string, unknown>), ...options.vars };
  const folderConfig = (projectYaml['models'] ?? {}) as Record<string, Record<string, unknown>>;
  const scopedFolderConfig = (folderConfig[name] ?? folderConfig) as Record<string, Record<string, unknown>>;

  const sources = new Map<string, SourceTable>();
  const docs = new Map<string, ModelDocs>();
  const seedDocs = new Map<string, Record<string, unknown>>();
  for (const path of [
    ...filesUnder(join(dir, 'models'), '.yml'),
    ...filesUnder(join(dir, 'seeds'), '.yml'),
  ]) {
    const where = relative(dir, path);
    const yaml = readYamlFile(path, where);
    for (const source of (yaml['sources'] ?? []) as Record<string, unknown>[]) {
      const sourceName = String(source['name']);
      for (const table of (source['tables'] ?? []) as Record<string, unknown>[]) {
        const tableName = String(table['name']);
        sources.set(sourceKey(sourceName, tableName), {
          source: sourceName,
          name: tableName,
          schema: String(source['schema'] ?? 'staging'),
          identifier: String(table['identifier'] ?? `${sourceName}_${tableName}`),
          ...(table['description'] ? { description: String(table['description']) } : {}),
          columns: parseColumns(table['columns'], `${where} source ${sourceName}.${tableName}`),
        });
      }
    }
    for (const model of (yaml['models'] ?? []) as Record<string, unknown>[]) {
      const modelName = String(model['name']);
      docs.set(modelName, {
        ...(model['description'] ? { description: String(model['description']) } : {}),
        columns: parseColumns(model['columns'], `${where} model ${modelName}`),
        tests: parseTests(model['data_tests'] ?? model['tests'], `${where} model ${modelName}`),
        config: (model['config'] ?? {}) as Record<string, unknown>,
      });
    }
    for (const seed of (yaml['seeds'] ?? []) as Record<string, unknown>[])
      seedDocs.set(String(seed['name']), seed);
  }

  const macros: MacroFile[] = filesUnder(join(dir, 'macros'), '.sql').map((path) => ({
    path: relative(dir, path),
    sql: readFileSync(path, 'utf8'),
  }));
  const parser = new TemplateRenderer(macros, [], 'parse');

  const files = new Map<
    string,
    { folder: string; default?: ModelSource; engines: Record<string, ModelSource> }
  >();
  for (const path of filesUnder(join(dir, 'models'), '.sql')) {
    const rel = relative(dir, path);
    const parts = basename(path, '.sql').split('.');
    const engine = parts.length > 1 && MODEL_FILE_ENGINES.includes(parts.at(-1)!) ? parts.pop()! : undefined;
    const modelName = parts.join('.');
    const folderParts = relative(join(dir, 'models'), path).split(sep);
    const folder = folderParts.length > 1 ? folderParts[0]! : 'staging';
    const entry = files.get(modelName) ?? { folder, engines: {} };
    const source = { path: rel, sql: readFileSync(path, 'utf8') };
    if (engine) entry.engines[engine] = source;
    else if (entry.default) {
      throw new ModelProjectError(
        `${rel}: a model named '${modelName}' already exists in ${entry.default.path}`,
      );
    } else entry.default = source;
    files.set(modelName, entry);
  }

  const models = new Map<string, ModelNode>();
  for (const [modelName, entry] of files) {
    if (!entry.default) {
      const variant = Object.values(entry.engines)[0]!;
      throw new ModelProjectError(`${variant.path}: engine-specific model needs ${modelName}.sql beside it`);
    }
    const modelDocs = docs.get(modelName);
    const refs = new Set<string>();
    const readsChangesOf = new Set<string>();
    const sourceRefs = new Map<string, [string, string]>();
    let inFileConfig: Record<string, unknown> = {};
    const recording = (isDefault: boolean, incremental: boolean): RenderContext => ({
      ref: (target) => {
        refs.add(String(target));
        return `"__ref__"."${target}"`;
      },
      changedRows: (target) => {
        refs.add(String(target));
        readsChangesOf.add(String(target));
        return `"__ref__"."${target}__changes"`;
      },
      source: (source, table) => {
        sourceRefs.set(sourceKey(source, table), [String(source), String(table)]);
        return `"__source__"."${source}_${table}"`;
      },
      config: (values) => {
        if (isDefault) inFileConfig = { ...inFileConfig, ...values };
      },
      isIncremental: () => incremental,
      variable: (varName, fallback) => vars[varName] ?? fallback ?? `__var_${varName}__`,
      self: `"__this__"."${modelName}"`,
    });
    for (const file of [entry.default, ...Object.values(entry.engines)]) {
      parser.render(file.path, file.sql, recording(file === entry.default, false));
      // The incremental branch too: a model may read another's change records only when incremental.
      parser.render(file.path, file.sql, recording(false, true));
    }
    const config = resolveModelConfig(
      [scopedFolderConfig[entry.folder] ?? {}, modelDocs?.config ?? {}, inFileConfig],
      entry.default.path,
    );
    if (!config.enabled) continue;
    for (const [key, template] of [
      ['delete_where', config.delete_where],
      ['rebuild_if', config.rebuild_if],
    ] as const) {
      if (template) parser.render(`${entry.default.path} (${key})`, template, recording(false, true));
    }
    models.set(modelName, {
      name: modelName,
      folder: entry.folder,
      files: { default: entry.default, engines: entry.engines },
      ...(modelDocs?.description ? { description: modelDocs.description } : {}),
      columns: modelDocs?.columns ?? [],
      tests: modelDocs?.tests ?? [],
      config,
      refs: [...refs],
      readsChangesOf: [...readsChangesOf],
      sources: [...sourceRefs.values()],
    });
  }

  const seeds = new Map<string, SeedNode>();
  for (const path of filesUnder(join(dir, 'seeds'), '.csv')) {
    const seedName = basename(path, '.csv');
    const yaml = seedDocs.get(seedName) ?? {};
    const seedConfig = plainKeys((yaml['config'] ?? {}) as Record<string, unknown>);
    seeds.set(seedName, {
      name: seedName,
      path: relative(dir, path),
      columnTypes: (seedConfig['column_types'] ?? {}) as Record<string, string>,
      ...(yaml['description'] ? { description: String(yaml['description']) } : {}),
      columns: parseColumns(yaml['columns'], `seed ${seedName}`),
    });
  }

  const singularTests: SingularTest[] = filesUnder(join(dir, 'tests'), '.sql').map((path) => ({
    name: basename(path, '.sql'),
    path: relative(dir, path),
    sql: readFileSync(path, 'utf8'),
  }));

  return { dir, name, vars, models, sources, seeds, macros, singularTests, onRunEnd: hooks(projectYaml) };
}
