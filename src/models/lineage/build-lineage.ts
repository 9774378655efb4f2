/**
 * The project as a graph document for the dashboard and `models docs`: models, sources and seeds with their
 * relations, descriptions and columns, and the edges between them. Built from the parsed project alone.
 */
import type { ModelCompiler } from '../compile/model-compiler.ts';
import type { ColumnDoc, ModelProject } from '../project/model-project.ts';

export interface LineageNode {
  /** `model.<name>`, `seed.<name>` or `source.<source>.<table>`. */
  id: string;
  kind: 'model' | 'seed' | 'source';
  name: string;
  /** `schema.name` in the warehouse (ephemeral models have none). */
  relation: string | null;
  materialized?: string;
  description: string | null;
  tags: string[];
  path: string | null;
  columns: { name: string; description: string | null; tests: string[] }[];
}

export interface Lineage {
  project: string;
  nodes: LineageNode[];
  /** `from` feeds `to`. */
  edges: { from: string; to: string }[];
}

const columnsOf = (columns: ColumnDoc[]) =>
  columns.map((column) => ({
    name: column.name,
    description: column.description ?? null,
    tests: column.tests.map((test) => test.test),
  }));

export function buildLineage(
  project: ModelProject,
  compiler: Pick<ModelCompiler, 'relationOf' | 'sourceRelation'>,
): Lineage {
  const nodes: LineageNode[] = [];
  const edges: Lineage['edges'] = [];
  const usedSources = new Map<string, [string, string]>();
  for (const model of project.models.values()) {
    for (const [source, table] of model.sources) usedSources.set(`${source}.${table}`, [source, table]);
  }
  for (const source of project.sources.values())
    usedSources.set(`${source.source}.${source.name}`, [source.source, source.name]);
  for (const [key, [source, table]] of [...usedSources].sort()) {
    const declared = project.sources.get(key);
    const relation = compiler.sourceRelation(source, table);
    nodes.push({
      id: `source.${key}`,
      kind: 'source',
      name: key,
      relation: `${relation.schema}.${relation.name}`,
      description: declared?.description ?? null,
      tags: [],
      path: null,
      columns: columnsOf(declared?.columns ?? []),
    });
  }
  for (const seed of [...project.seeds.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const relation = compiler.relationOf(seed.name);
    nodes.push({
      id: `seed.${seed.name}`,
      kind: 'seed',
      name: seed.name,
      relation: `${relation.schema}.${relation.name}`,
      description: seed.description ?? null,
      tags: [],
      path: seed.path,
      columns: columnsOf(seed.columns),
    });
  }
  for (const model of [...project.models.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const relation = compiler.relationOf(model.name);
    nodes.push({
      id: `model.${model.name}`,
      kind: 'model',
      name: model.name,
      relation: model.config.materialized === 'ephemeral' ? null : `${relation.schema}.${relation.name}`,
      materialized: model.config.materialized,
      description: model.description ?? null,
      tags: model.config.tags,
      path: model.files.default.path,
      columns: columnsOf(model.columns),
    });
    for (const ref of [...model.refs].sort()) {
      edges.push({
        from: project.models.has(ref) ? `model.${ref}` : `seed.${ref}`,
        to: `model.${model.name}`,
      });
    }
    for (const [source, table] of model.sources)
      edges.push({ from: `source.${source}.${table}`, to: `model.${model.name}` });
  }
  return { project: project.name, nodes, edges };
}

/** A readable listing: each node with what it is built from. */
export function formatLineage(lineage: Lineage): string {
  const parents = new Map<string, string[]>();
  for (const edge of lineage.edges) parents.set(edge.to, [...(parents.get(edge.to) ?? []), edge.from]);
  const lines = [`project ${lineage.project}: ${lineage.nodes.length} nodes, ${lineage.edges.length} edges`];
  for (const node of lineage.nodes) {
    const kind = node.materialized ? `${node.kind}, ${node.materialized}` : node.kind;
    lines.push(`${node.id}  (${kind})  ${node.relation ?? '(inlined)'}`);
    if (node.description) lines.push(`    ${node.description}`);
    const from = parents.get(node.id);
    if (from?.length) lines.push(`    ← ${from.join(', ')}`);
    if (node.columns.length) lines.push(`    columns: ${node.columns.map((c) => c.name).join(', ')}`);
  }
  return lines.join('\n');
}
