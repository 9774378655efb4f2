/**
 * Turns the YAML-declared generic tests and the singular `tests/*.sql` into SELECTs of offending rows (a test
 * passes when its query returns nothing). Generic test SQL lives in `generic-tests/<name>.sql`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import type { ModelCompiler } from '../compile/model-compiler.ts';
import { ModelProjectError } from '../model-error.ts';
import type { ModelProject, Severity, TestSpec } from '../project/model-project.ts';

export interface CompiledTest {
  name: string;
  /** The model (or `source:<s>.<t>`) the test checks. */
  model: string;
  severity: Severity;
  /** The whole test: a SELECT of offending rows. */
  sql: string;
  /**
   * For a test with a `where` config, the same test in two parts: `rows`, the SELECT of the rows it checks, and
   * `check`, the test reading them from the relation named SCOPED_ROWS. Tests that share `rows` can read one
   * table of them instead of each scanning the model again (test-models.ts).
   */
  scope?: { rows: string; check: string };
}

/** The relation (a CTE, or a temporary table of tests that share it) a test with a `where` config reads. */
export const SCOPED_ROWS = 'fintech_test_scope';
const GENERIC_DIR = fileURLToPath(new URL('./generic-tests/', import.meta.url));
const genericSql = new Map<string, string>();

function genericTemplate(test: string): string {
  let sql = genericSql.get(test);
  if (sql === undefined) {
    const path = `${GENERIC_DIR}${test}.sql`;
    if (!/^\w+$/.test(test) || !existsSync(path)) {
      throw new ModelProjectError(
        `unknown test '${test}': expected unique, not_null, accepted_values, relationships, accepted_range or expression_is_true`,
      );
    }
    sql = readFileSync(path, 'utf8');
    genericSql.set(test, sql);
  }
  return sql;
}

/** A test's name as results report it: `not_null_fct_payments_status_label`, `accepted_values_…__a__b`. */
export function testName(spec: TestSpec, target: string, column: string | undefined): string {
  const extra =
    spec.test === 'accepted_values' && Array.isArray(spec.args['values'])
      ? `__${(spec.args['values'] as unknown[]).join('__')}`
      : spec.test === 'expression_is_true'
        ? `__${String(spec.args['expression']).replace(/\W+/g, '_').replace(/^_|_$/g, '')}`
        : '';
  return [spec.test, target, column].filter(Boolean).join('_') + extra;
}

interface TestTarget {
  /** Name used in results (`dim_card`, `source:silver.transactions`). */
  label: string;
  /** Name fragment for the test name. */
  slug: string;
  relationSql: string;
  yamlPath: string;
}

/**
 * A plain column name is quoted; anything else is an expression the project wrote (dbt inserts `column_name`
 * as written, so `unique: {column_name: "a || '|' || b"}` tests a combination of columns).
 */
function columnSql(warehouse: Pick<Warehouse, 'quoteIdentifier'>, column: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(column) ? warehouse.quoteIdentifier(column) : column;
}

function compileGeneric(
  compiler: ModelCompiler,
  warehouse: Pick<Warehouse, 'quoteIdentifier' | 'quoteLiteral'>,
  spec: TestSpec,
  target: TestTarget,
  column: string | undefined,
): CompiledTest {
  const variables: Record<string, unknown> = {
    ...spec.args,
    model: target.relationSql,
    column_name: column === undefined ? undefined : columnSql(warehouse, column),
  };
  if (spec.test === 'accepted_values') {
    const values = spec.args['values'];
    if (!Array.isArray(values))
      throw new ModelProjectError(`${target.yamlPath}: accepted_values needs values: [...]`);
    const quote = spec.args['quote'] !== false;
    variables['values_sql'] = values
      .map((v) => (quote ? warehouse.quoteLiteral(String(v)) : String(v)))
      .join(', ');
  }
  if (spec.test === 'relationships') {
    const to = String(spec.args['to'] ?? '');
    variables['to'] = /^\s*(ref|source)\(/.test(to)
      ? compiler.renderTemplate(target.yamlPath, `{{ ${to} }}`)
      : to;
    variables['field'] = warehouse.quoteIdentifier(String(spec.args['field'] ?? 'id'));
  }
  if (spec.test === 'accepted_range') variables['inclusive'] = spec.args['inclusive'] !== false;
  const name = testName(spec, target.slug, column);
  const source = `generic test ${spec.test} (${target.yamlPath})`;
  if (!spec.where) {
    const sql = compiler.renderTemplate(source, genericTemplate(spec.test), variables);
    return { name, model: target.label, severity: spec.severity, sql };
  }
  // dbt's `where` config: the test reads only the rows the predicate keeps (rendered with the template, so
  // it may call var() and macros).
  const rows = compiler.renderTemplate(
    source,
    `select * from ${target.relationSql} where ${spec.where}`,
    variables,
  );
  const check = compiler.renderTemplate(source, genericTemplate(spec.test), {
    ...variables,
    model: SCOPED_ROWS,
  });
  const sql = `with ${SCOPED_ROWS} as (\n${rows}\n)\n${check}`;
  return { name, model: target.label, severity: spec.severity, sql, scope: { rows, check } };
}

/**
 * The tests of the selected models (all models, sources and singular tests when `selected` is undefined).
 * A singular test belongs to the first model it refs.
 */
export function compileTests(
  project: ModelProject,
  compiler: ModelCompiler,
  warehouse: Pick<Warehouse, 'quoteIdentifier' | 'quoteLiteral' | 'quoteRelation'>,
  selected?: Set<string>,
): CompiledTest[] {
  const tests: CompiledTest[] = [];
  for (const model of project.models.values()) {
    if (selected && !selected.has(model.name)) continue;
    if (model.config.materialized === 'ephemeral') continue;
    const target: TestTarget = {
      label: model.name,
      slug: model.name,
      relationSql: warehouse.quoteRelation(compiler.relationOf(model.name)),
      yamlPath: model.files.default.path,
    };
    for (const spec of model.tests)
      tests.push(
        compileGeneric(compiler, warehouse, spec, target, spec.args['column_name'] as string | undefined),
      );
    for (const column of model.columns) {
      for (const spec of column.tests)
        tests.push(compileGeneric(compiler, warehouse, spec, target, column.name));
    }
  }
  if (!selected) {
    for (const source of project.sources.values()) {
      const target: TestTarget = {
        label: `source:${source.source}.${source.name}`,
        slug: `source_${source.source}_${source.name}`,
        relationSql: warehouse.quoteRelation({ schema: source.schema, name: source.identifier }),
        yamlPath: `source ${source.source}.${source.name}`,
      };
      for (const column of source.columns) {
        for (const spec of column.tests)
          tests.push(compileGeneric(compiler, warehouse, spec, target, column.name));
      }
    }
  }
  for (const singular of project.singularTests) {
    const model = /ref\(\s*['"]([^'"]+)['"]\s*\)/.exec(singular.sql)?.[1] ?? '';
    if (selected && !selected.has(model)) continue;
    let severity: Severity = 'error';
    const sql = compiler
      .renderTemplate(singular.path, singular.sql, {}, (values) => {
        if (values['severity'] !== undefined)
          severity = String(values['severity']).toLowerCase() === 'warn' ? 'warn' : 'error';
      })
      .trim()
      .replace(/;\s*$/, '');
    tests.push({ name: singular.name, model, severity, sql });
  }
  return tests;
}
