import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../project/load-project.ts';
import { ModelGraph } from './model-graph.ts';
import { selectModels } from './select-models.ts';

function project(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'graph-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return loadProject(dir);
}

// a → b → c, a → d, e alone (tagged)
const DIAMOND = {
  'models/staging/a.sql': 'select 1 as x',
  'models/core/b.sql': "select * from {{ ref('a') }}",
  'models/core/c.sql': "{{ config(tags=['daily']) }} select * from {{ ref('b') }}",
  'models/core/d.sql': "select * from {{ ref('a') }}",
  'models/marts/e.sql': "{{ config(tags=['daily', 'finance']) }} select 2 as y",
};

describe('model graph and selectors', () => {
  const diamond = project(DIAMOND);
  const graph = ModelGraph.build(diamond);
  const select = (selector: string) => [...selectModels(diamond, graph, selector)].sort();

  it('orders every model after the models it refs', () => {
    const position = (name: string) => graph.order.indexOf(name);
    expect(position('a')).toBeLessThan(position('b'));
    expect(position('b')).toBeLessThan(position('c'));
    expect(position('a')).toBeLessThan(position('d'));
    expect(graph.order).toHaveLength(5);
  });

  it('selects by name, ancestors, descendants, tag and unions', () => {
    expect(select('b')).toEqual(['b']);
    expect(select('+c')).toEqual(['a', 'b', 'c']);
    expect(select('a+')).toEqual(['a', 'b', 'c', 'd']);
    expect(select('+b+')).toEqual(['a', 'b', 'c']);
    expect(select('tag:daily')).toEqual(['c', 'e']);
    expect(select('tag:finance d')).toEqual(['d', 'e']);
    expect(select('')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(() => select('zzz')).toThrow(/--select 'zzz' matches no model/);
  });

  it('puts a model in the schema of its top folder unless config(schema=…) says otherwise', () => {
    expect(diamond.models.get('a')!.folder).toBe('staging');
    const custom = project({ 'models/core/x.sql': "{{ config(schema='marts') }} select 1" });
    expect(custom.models.get('x')!.config.schema).toBe('marts');
  });

  it('names the whole cycle', () => {
    const cyclic = project({
      'models/core/a.sql': "select * from {{ ref('c') }}",
      'models/core/b.sql': "select * from {{ ref('a') }}",
      'models/core/c.sql': "select * from {{ ref('b') }}",
    });
    expect(() => ModelGraph.build(cyclic)).toThrow('models form a cycle: a → c → b → a');
  });

  it('names the file of a ref to nothing', () => {
    const broken = project({ 'models/core/a.sql': "select * from {{ ref('ghost') }}" });
    expect(() => ModelGraph.build(broken)).toThrow("models/core/a.sql: ref('ghost') names no model or seed");
  });

  it('points template errors at file and line', () => {
    expect(() => project({ 'models/core/a.sql': 'select 1\nfrom x\nwhere {{ y( }}' })).toThrow(
      /^models\/core\/a\.sql:3:\d+: .*unexpected token/,
    );
    expect(() => project({ 'models/core/a.sql': 'select 1\n\n{{ no_such_macro() }}' })).toThrow(
      /^models\/core\/a\.sql:3:\d+: Unable to call `no_such_macro`/,
    );
    expect(() =>
      project({
        'models/core/a.sql':
          "{{ config(materialized='incremental', incremental_strategy='merge') }} select 1",
      }),
    ).toThrow("models/core/a.sql: incremental_strategy='merge' needs unique_key");
  });
});
