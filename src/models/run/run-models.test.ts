import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import { ModelCompiler } from '../compile/model-compiler.ts';
import { buildLineage } from '../lineage/build-lineage.ts';
import { loadProject } from '../project/load-project.ts';
import { runModels } from './run-models.ts';

function project(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'run-models-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return loadProject(dir);
}

/** A warehouse that only records when each view build starts and ends, and the statements it executes. */
function timingWarehouse(failing: string[] = []) {
  let inFlight = 0;
  let maxInFlight = 0;
  const built: string[] = [];
  const executed: string[] = [];
  const warehouse = {
    execute: async (sql: string) => {
      executed.push(sql);
    },
    engine: 'duckdb',
    dispatchOrder: ['duckdb'],
    capabilities: { supportsMerge: true },
    quoteRelation: (r: { schema: string; name: string }) => `${r.schema}.${r.name}`,
    relationKind: async () => undefined,
    ensureSchema: async () => undefined,
    createView: async (relation: { name: string }) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 30));
      inFlight--;
      if (failing.includes(relation.name)) throw new Error(`boom in ${relation.name}`);
      built.push(relation.name);
    },
  } as unknown as Warehouse;
  return { warehouse, built, executed, maxInFlight: () => maxInFlight };
}

const FAN = {
  'models/staging/root.sql': 'select 1 as id',
  'models/core/a.sql': "select * from {{ ref('root') }}",
  'models/core/b.sql': "select * from {{ ref('root') }}",
  'models/core/c.sql': "select * from {{ ref('root') }}",
  'models/marts/last.sql': "select * from {{ ref('a') }} join {{ ref('b') }} using (id)",
};

describe('runModels scheduling', () => {
  it('runs independent models concurrently, up to the concurrency, parents first', async () => {
    const fan = project(FAN);
    const two = timingWarehouse();
    await runModels({ warehouse: two.warehouse, project: fan, concurrency: 2 });
    expect(two.maxInFlight()).toBe(2);
    expect(two.built[0]).toBe('root');
    expect(two.built.at(-1)).toBe('last');
    const one = timingWarehouse();
    await runModels({ warehouse: one.warehouse, project: fan, concurrency: 1 });
    expect(one.maxInFlight()).toBe(1);
  });

  it('skips the descendants of a failed model and builds the rest', async () => {
    const { warehouse, built } = timingWarehouse(['a']);
    const result = await runModels({ warehouse, project: project(FAN), concurrency: 4 });
    expect(result.ok).toBe(false);
    const status = Object.fromEntries(result.models.map((m) => [m.name, m.status]));
    expect(status).toEqual({ root: 'success', a: 'error', b: 'success', c: 'success', last: 'skipped' });
    expect(result.models.find((m) => m.name === 'a')!.error).toBe('boom in a');
    expect(built.sort()).toEqual(['b', 'c', 'root']);
  });
});

describe('on-run-end hooks', () => {
  const HOOKED = {
    ...FAN,
    'dbt_project.yml': [
      'name: hooked',
      'on-run-end:',
      `  - "insert into audit.done values ('{{ invocation_id }}', '{{ var('day') }}')"`,
      `  - "{% if var('skip_me', false) %}select 1{% endif %}"`,
    ].join('\n'),
  };

  it('run after every selected model built, rendered with the vars and the run id; empty ones are skipped', async () => {
    const { warehouse, executed } = timingWarehouse();
    const result = await runModels({
      warehouse,
      project: project(HOOKED),
      runId: 'run-7',
      vars: { day: '2025-03-01' },
    });
    expect(result.ok).toBe(true);
    expect(executed).toEqual(["insert into audit.done values ('run-7', '2025-03-01')"]);
    expect(result.hooks.map((hook) => hook.status)).toEqual(['success', 'skipped']);
  });

  it('are skipped when a model did not build, so what they mark stays to do', async () => {
    const { warehouse, executed } = timingWarehouse(['b']);
    const result = await runModels({ warehouse, project: project(HOOKED), vars: { day: '2025-03-01' } });
    expect(result.ok).toBe(false);
    expect(executed).toEqual([]);
    expect(result.hooks.map((hook) => hook.status)).toEqual(['skipped', 'skipped']);
  });
});

describe('buildLineage', () => {
  it('lists models, seeds and sources with relations, columns and edges', () => {
    const fixture = loadProject(
      join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'model-project'),
    );
    const dialect = { engine: 'duckdb' as const, dispatchOrder: ['duckdb'], quoteRelation: () => '' };
    const lineage = buildLineage(fixture, new ModelCompiler(fixture, dialect, {}));
    const fct = lineage.nodes.find((n) => n.id === 'model.fct_payments')!;
    expect(fct).toMatchObject({
      kind: 'model',
      relation: 'core.fct_payments',
      materialized: 'incremental',
      description: 'One row per payment, latest version.',
      path: 'models/core/fct_payments.sql',
    });
    expect(fct.columns[0]).toEqual({
      name: 'payment_id',
      description: 'Unique id of a payment.',
      tests: ['unique', 'not_null', 'relationships'],
    });
    expect(lineage.nodes.find((n) => n.id === 'model.valid_payments')!.relation).toBeNull();
    expect(lineage.nodes.find((n) => n.id === 'source.raw.payments')!.relation).toBe('staging.raw_payments');
    expect(lineage.edges).toEqual(
      expect.arrayContaining([
        { from: 'source.raw.payments', to: 'model.stg_payments' },
        { from: 'seed.status_labels', to: 'model.fct_payments' },
        { from: 'model.stg_payments', to: 'model.fct_payments' },
        { from: 'model.valid_payments', to: 'model.mart_customer' },
      ]),
    );
  });
});
