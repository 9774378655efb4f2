/**
 * `models run`: loads the seeds, then builds the selected models in graph order, running independent models
 * concurrently (up to `concurrency`). A failed model marks its selected descendants skipped; the others go on.
 * Then the change records whose readers all built are consumed (consume-changes.ts) and, when every selected
 * model built, the project's `on-run-end` hooks run.
 */
import { newRunId } from '../../core/run-id.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import { ModelCompiler } from '../compile/model-compiler.ts';
import { ModelGraph } from '../graph/model-graph.ts';
import { selectModels } from '../graph/select-models.ts';
import { materializationFor } from '../materializations/materialization-for.ts';
import type { Materialization, ModelProject } from '../project/model-project.ts';
import { consumeChanges } from './consume-changes.ts';
import { loadSeed } from './load-seeds.ts';

export interface RunModelsOptions {
  warehouse: Warehouse;
  project: ModelProject;
  /** dbt selector: `name`, `+name`, `name+`, `tag:x`, space-separated union; default every model. */
  select?: string;
  /** Template vars, e.g. `{ logical_date: '2024-01-31' }` for `{{ var('logical_date') }}`. */
  vars?: Record<string, unknown>;
  /** Rebuild incremental models from scratch. */
  fullRefresh?: boolean;
  runId?: string;
  concurrency?: number;
  /** Load `seeds/*.csv` first (default true). */
  seeds?: boolean;
  onResult?: (result: ModelResult) => void;
}

export interface ModelResult {
  name: string;
  /** `schema.name` */
  relation: string;
  materialized: Materialization;
  status: 'success' | 'error' | 'skipped';
  /** What the materialization did (`created table`, `merged`, …), or why it was skipped. */
  action?: string;
  error?: string;
  seconds: number;
}

/** One `on-run-end` hook of the project. */
export interface HookResult {
  /** The hook's template, as dbt_project.yml writes it. */
  hook: string;
  /** skipped: a model did not build (or rendered to no SQL). */
  status: 'success' | 'error' | 'skipped';
  error?: string;
}

export interface RunModelsResult {
  runId: string;
  seeds: { name: string; rows: number }[];
  models: ModelResult[];
  /** Change records (`schema.name`) emptied because every model reading them built. */
  consumedChanges: string[];
  hooks: HookResult[];
  ok: boolean;
}

export async function runModels(options: RunModelsOptions): Promise<RunModelsResult> {
  const { warehouse, project } = options;
  const runId = options.runId ?? newRunId('models');
  const compiler = new ModelCompiler(project, warehouse, options.vars ?? {});
  const graph = ModelGraph.build(project);
  const selected = selectModels(project, graph, options.select);

  const seeds: RunModelsResult['seeds'] = [];
  if (options.seeds !== false) {
    for (const seed of project.seeds.values()) {
      seeds.push({ name: seed.name, rows: await loadSeed(warehouse, project, compiler, seed) });
    }
  }

  const buildable = graph.order.filter(
    (name) => selected.has(name) && project.models.get(name)!.config.materialized !== 'ephemeral',
  );
  const results = new Map<string, ModelResult>();
  const buildModel = async (name: string): Promise<ModelResult> => {
    const model = project.models.get(name)!;
    const relation = compiler.relationOf(name);
    const base = {
      name,
      relation: `${relation.schema}.${relation.name}`,
      materialized: model.config.materialized,
    };
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    try {
      const existing = await warehouse.relationKind(relation);
      let incremental =
        model.config.materialized === 'incremental' && existing === 'table' && !options.fullRefresh;
      const rebuildCondition = incremental ? compiler.rebuildCondition(name) : undefined;
      const rebuilt = rebuildCondition !== undefined && (await isTrue(warehouse, rebuildCondition));
      if (rebuilt) incremental = false;
      const compiled = compiler.compile(name, { incremental });
      await warehouse.ensureSchema(relation.schema);
      const strategy = materializationFor(model.config.materialized as Exclude<Materialization, 'ephemeral'>);
      const action = await strategy.materialize({ warehouse, model: compiled, existing, incremental });
      return {
        ...base,
        status: 'success',
        action: rebuilt ? `${action} (rebuild_if)` : action,
        seconds: elapsed(),
      };
    } catch (error) {
      return { ...base, status: 'error', error: (error as Error).message, seconds: elapsed() };
    }
  };

  // Parents of a model among the built set (through ephemeral models, which are inlined).
  const waitsFor = (name: string): string[] => {
    const parents = new Set<string>();
    const stack = [...graph.parents(name)];
    while (stack.length) {
      const parent = stack.pop()!;
      if (project.models.get(parent)!.config.materialized === 'ephemeral')
        stack.push(...graph.parents(parent));
      else if (buildable.includes(parent)) parents.add(parent);
    }
    return [...parents];
  };
  const pending = new Set(buildable);
  const running = new Map<string, Promise<void>>();
  const limit = Math.max(1, options.concurrency ?? 4);
  while (pending.size || running.size) {
    for (const name of [...pending]) {
      if (running.size >= limit) break;
      const parents = waitsFor(name);
      if (parents.some((p) => !results.has(p))) continue;
      pending.delete(name);
      const failedParent = parents.find((p) => results.get(p)!.status !== 'success');
      if (failedParent) {
        const model = project.models.get(name)!;
        const relation = compiler.relationOf(name);
        const skipped: ModelResult = {
          name,
          relation: `${relation.schema}.${relation.name}`,
          materialized: model.config.materialized,
          status: 'skipped',
          action: `upstream ${failedParent} did not build`,
          seconds: 0,
        };
        results.set(name, skipped);
        options.onResult?.(skipped);
        continue;
      }
      running.set(
        name,
        buildModel(name).then((result) => {
          results.set(name, result);
          running.delete(name);
          options.onResult?.(result);
        }),
      );
    }
    if (running.size) await Promise.race(running.values());
    else if (pending.size && [...pending].every((name) => waitsFor(name).some((p) => !results.has(p)))) {
      throw new Error('model scheduler stalled: unresolved dependencies');
    }
  }
  const models = buildable.map((name) => results.get(name)!);
  const built = new Set(models.filter((m) => m.status === 'success').map((m) => m.name));
  let ok = models.every((m) => m.status === 'success');
  let consumedChanges: string[] = [];
  let failure: string | undefined;
  try {
    consumedChanges = await consumeChanges(warehouse, project, compiler, built);
  } catch (error) {
    ok = false;
    failure = `change records not consumed: ${(error as Error).message}`;
  }
  const hooks: HookResult[] = [];
  for (const hook of project.onRunEnd) {
    if (!ok) {
      hooks.push({ hook, status: 'skipped', ...(failure ? { error: failure } : {}) });
      continue;
    }
    try {
      const sql = compiler
        .renderTemplate('dbt_project.yml (on-run-end)', hook, { invocation_id: runId })
        .trim();
      if (sql) await warehouse.execute(sql);
      hooks.push({ hook, status: sql ? 'success' : 'skipped' });
    } catch (error) {
      ok = false;
      hooks.push({ hook, status: 'error', error: (error as Error).message });
    }
  }
  return { runId, seeds, models, consumedChanges, hooks, ok };
}

/**
 * The first column of the first row of `sql`, read as a boolean (NULL and no row are false). A condition that
 * cannot run — a table built before the column it reads existed — rebuilds: the safe answer.
 */
async function isTrue(warehouse: Warehouse, sql: string): Promise<boolean> {
  try {
    const { rows, columns } = await warehouse.query(sql);
    const value = rows[0]?.[columns[0]!];
    return value === true;
  } catch {
    return true;
  }
}
