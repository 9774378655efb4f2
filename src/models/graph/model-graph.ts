/**
 * The dependency graph of models, built from the refs recorded at parse time. Seeds and sources are leaves
 * (they are loaded, not built). Pure: no warehouse, so ordering and selection are testable on their own.
 */
import { ModelProjectError } from '../model-error.ts';
import type { ModelProject } from '../project/model-project.ts';

export class ModelGraph {
  /** model → the models it refs (seeds excluded). */
  private readonly parentsOf = new Map<string, string[]>();
  private readonly childrenOf = new Map<string, string[]>();
  /** Models in an order where every model comes after its parents. */
  readonly order: string[];

  private constructor(project: ModelProject) {
    for (const model of project.models.values()) {
      const parents: string[] = [];
      for (const ref of model.refs) {
        if (project.models.has(ref)) parents.push(ref);
        else if (!project.seeds.has(ref)) {
          throw new ModelProjectError(`${model.files.default.path}: ref('${ref}') names no model or seed`);
        }
      }
      this.parentsOf.set(model.name, parents);
      this.childrenOf.set(model.name, this.childrenOf.get(model.name) ?? []);
      for (const parent of parents) {
        const children = this.childrenOf.get(parent) ?? [];
        children.push(model.name);
        this.childrenOf.set(parent, children);
      }
    }
    this.order = this.topologicalOrder();
  }

  static build(project: ModelProject): ModelGraph {
    return new ModelGraph(project);
  }

  get models(): string[] {
    return [...this.parentsOf.keys()];
  }

  parents(name: string): string[] {
    return this.parentsOf.get(name) ?? [];
  }

  children(name: string): string[] {
    return this.childrenOf.get(name) ?? [];
  }

  ancestors(name: string): Set<string> {
    return this.walk(name, (node) => this.parents(node));
  }

  descendants(name: string): Set<string> {
    return this.walk(name, (node) => this.children(node));
  }

  private walk(start: string, next: (node: string) => string[]): Set<string> {
    const seen = new Set<string>();
    const stack = [...next(start)];
    while (stack.length) {
      const node = stack.pop()!;
      if (seen.has(node)) continue;
      seen.add(node);
      stack.push(...next(node));
    }
    return seen;
  }

  /** Depth-first order; a back edge is a cycle, reported with its full path (`a → b → a`). */
  private topologicalOrder(): string[] {
    const order: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const path: string[] = [];
    const visit = (node: string) => {
      const seen = state.get(node);
      if (seen === 'done') return;
      if (seen === 'visiting') {
        const cycle = [...path.slice(path.indexOf(node)), node];
        throw new ModelProjectError(`models form a cycle: ${cycle.join(' → ')}`);
      }
      state.set(node, 'visiting');
      path.push(node);
      for (const parent of this.parents(node)) visit(parent);
      path.pop();
      state.set(node, 'done');
      order.push(node);
    };
    for (const node of [...this.parentsOf.keys()].sort()) visit(node);
    return order;
  }
}
