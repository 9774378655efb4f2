/**
 * dbt-style node selection: `name`, `+name` (with its ancestors), `name+` (with its descendants), `tag:x`,
 * space-separated for a union. An empty selector selects every model. A selector that matches nothing is an
 * error, so a typo never silently runs nothing.
 */
import { UsageError } from '../../core/errors.ts';
import type { ModelProject } from '../project/model-project.ts';
import type { ModelGraph } from './model-graph.ts';

export function selectModels(project: ModelProject, graph: ModelGraph, selector?: string): Set<string> {
  const terms = (selector ?? '').split(/[\s,]+/).filter(Boolean);
  if (terms.length === 0) return new Set(graph.models);
  const selected = new Set<string>();
  for (const term of terms) {
    const withAncestors = term.startsWith('+');
    const withDescendants = term.endsWith('+');
    const core = term.slice(withAncestors ? 1 : 0, withDescendants ? -1 : undefined);
    const roots = core.startsWith('tag:')
      ? [...project.models.values()].filter((m) => m.config.tags.includes(core.slice(4))).map((m) => m.name)
      : project.models.has(core)
        ? [core]
        : [];
    if (roots.length === 0) throw new UsageError(`--select '${term}' matches no model`);
    for (const root of roots) {
      selected.add(root);
      if (withAncestors) for (const node of graph.ancestors(root)) selected.add(node);
      if (withDescendants) for (const node of graph.descendants(root)) selected.add(node);
    }
  }
  return selected;
}
