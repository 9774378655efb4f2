/**
 * Parse → graph → select → compile of a generated project of 500 models (each refs up to three earlier
 * models, some incremental, a macro call in each). No warehouse: this is the engine's own overhead per run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelCompiler } from '../src/models/compile/model-compiler.ts';
import { ModelGraph } from '../src/models/graph/model-graph.ts';
import { selectModels } from '../src/models/graph/select-models.ts';
import { loadProject } from '../src/models/project/load-project.ts';
import type { Benchmark } from './run.ts';

const MODELS = 500;

function writeProject(dir: string): void {
  mkdirSync(join(dir, 'macros'), { recursive: true });
  writeFileSync(
    join(dir, 'macros', 'money.sql'),
    '{% macro default__to_money(x) %}cast({{ x }} as decimal(18,2)){% endmacro %}\n{% macro postgres__to_money(x) %}{{ x }}::numeric(18,2){% endmacro %}\n',
  );
  const yaml: string[] = ['version: 2', 'models:'];
  for (let i = 0; i < MODELS; i++) {
    const folder = ['staging', 'core', 'marts'][Math.min(2, Math.floor((i / MODELS) * 3))]!;
    mkdirSync(join(dir, 'models', folder), { recursive: true });
    const parents =
      i === 0 ? [] : [...new Set([i - 1, Math.floor(i / 2), Math.floor(i / 3)])].filter((p) => p < i);
    const incremental = i % 5 === 0;
    const from = parents.length
      ? parents
          .map(
            (p, n) =>
              `${n ? 'join' : 'from'} {{ ref('m${p}') }} as p${n}${n ? ' on p0.id = p' + n + '.id' : ''}`,
          )
          .join('\n')
      : "from {{ source('silver', 'transactions') }} as p0";
    const config = incremental
      ? "{{ config(materialized='incremental', unique_key='id', tags=['inc']) }}"
      : "{{ config(materialized='table') }}";
    const filter = incremental
      ? '\n{% if is_incremental() %}where p0.day >= \'{{ var("logical_date") }}\'{% endif %}'
      : '';
    writeFileSync(
      join(dir, 'models', folder, `m${i}.sql`),
      `${config}\nselect p0.id, p0.day, {{ to_money('p0.amount') }} as amount\n${from}${filter}\n`,
    );
    yaml.push(
      `  - name: m${i}`,
      `    description: model ${i}`,
      '    columns:',
      '      - name: id',
      '        tests: [unique, not_null]',
    );
  }
  writeFileSync(join(dir, 'models', 'schema.yml'), `${yaml.join('\n')}\n`);
}

export const benchmark: Benchmark = {
  title: `compile and plan a project of ${MODELS} generated models`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'bench-models-'));
    try {
      writeProject(dir);
      const dialect = {
        engine: 'postgres' as const,
        dispatchOrder: ['postgres'],
        quoteRelation: (r: { schema: string; name: string }) => `"${r.schema}"."${r.name}"`,
      };
      for (let round = 1; round <= 3; round++) {
        const started = performance.now();
        const project = loadProject(dir, { vars: { logical_date: '2024-01-31' } });
        const parsed = performance.now();
        const graph = ModelGraph.build(project);
        const selected = selectModels(project, graph, 'm0+');
        const planned = performance.now();
        const compiler = new ModelCompiler(project, dialect, { logical_date: '2024-01-31' });
        let bytes = 0;
        for (const name of graph.order) {
          if (selected.has(name))
            bytes += compiler.compile(name, { incremental: name.endsWith('0') }).sql.length;
        }
        const compiled = performance.now();
        console.log(
          `round ${round}: parse ${(parsed - started).toFixed(0)} ms, graph+select ${(planned - parsed).toFixed(0)} ms, compile ${(compiled - planned).toFixed(0)} ms, total ${(compiled - started).toFixed(0)} ms (${selected.size} models, ${(bytes / 1024).toFixed(0)} KB SQL) — target < 1000 ms`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
