/**
 * The model project as the Lineage page shows it: the graph of sources, seeds and models (from
 * `buildLineage`), and for each node its layer (sources → staging → core → marts), SQL, columns with their
 * descriptions and tests, and the tests that check it. Read from the project folder, not the warehouse; reparsed
 * when a file of the project changes.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelCompiler } from '../../models/compile/model-compiler.ts';
import { buildLineage, type LineageNode } from '../../models/lineage/build-lineage.ts';
import { loadProject } from '../../models/project/load-project.ts';
import type { ModelProject, TestSpec } from '../../models/project/model-project.ts';
import { testName } from '../../models/testing/compile-tests.ts';
import { fingerprintProject } from '../../orchestrator/planner/project-fingerprint.ts';
import type { ProjectFingerprint } from '../../orchestrator/state/state-store.ts';
import type { WarehouseEngine } from '../../warehouse/warehouse.ts';

/** A test as the docs list it: the name results report it by, and what it checks in words. */
export interface LineageTest {
  name: string;
  text: string;
}

export interface LineageDocNode extends Omit<LineageNode, 'columns'> {
  /** Column of the drawn graph: 0 sources and seeds, then staging, core, marts (other folders after them). */
  layer: number;
  /** The model's SQL file as written (templated); null for sources and seeds. */
  sql: string | null;
  columns: { name: string; description: string | null; tests: LineageTest[] }[];
  /** Model-level generic tests and the singular tests that read it. */
  tests: LineageTest[];
}

export interface LineageDocs {
  project: string;
  nodes: LineageDocNode[];
  edges: { from: string; to: string }[];
}

const FOLDER_LAYERS: Record<string, number> = { staging: 1, core: 2, marts: 3 };

export class LineageReader {
  private cached: { signature: string; docs: LineageDocs; fingerprint: ProjectFingerprint } | undefined;

  constructor(
    private readonly projectDir: string,
    private readonly engine: WarehouseEngine,
  ) {}

  async read(): Promise<LineageDocs> {
    return (await this.current()).docs;
  }

  /** The project's fingerprint now: what `plan` compares with the one a run was built with. */
  async fingerprint(): Promise<ProjectFingerprint> {
    return (await this.current()).fingerprint;
  }

  private async current(): Promise<{ docs: LineageDocs; fingerprint: ProjectFingerprint }> {
    const signature = await folderSignature(this.projectDir);
    if (this.cached?.signature !== signature) {
      const project = loadProject(this.projectDir);
      this.cached = { signature, docs: this.build(project), fingerprint: fingerprintProject(project) };
    }
    return this.cached;
  }

  private build(project: ModelProject): LineageDocs {
    const dialect = { engine: this.engine, dispatchOrder: [], quoteRelation: () => '' };
    const lineage = buildLineage(project, new ModelCompiler(project, dialect, {}));
    const singular = singularTestsByModel(project);
    const nodes = lineage.nodes.map((node): LineageDocNode => {
      const model = node.kind === 'model' ? project.models.get(node.name) : undefined;
      const test = (spec: TestSpec, column?: string): LineageTest => ({
        name: testName(spec, node.name, column),
        text: describeTest(spec),
      });
      return {
        ...node,
        layer: model ? (FOLDER_LAYERS[model.folder] ?? 4) : 0,
        sql: model?.files.default.sql ?? null,
        columns: node.columns.map((column) => ({
          name: column.name,
          description: column.description,
          tests: (model?.columns.find((c) => c.name === column.name)?.tests ?? []).map((spec) =>
            test(spec, column.name),
          ),
        })),
        tests: [
          ...(model?.tests ?? []).map((spec) => test(spec, spec.args['column_name'] as string | undefined)),
          ...(singular.get(node.name) ?? []),
        ],
      };
    });
    return { project: lineage.project, nodes, edges: lineage.edges };
  }
}

/** `accepted_range (min_value 0, max_value 1)`, `expression_is_true (net_amount = …)`, `unique`. */
export function describeTest(spec: TestSpec): string {
  const args = Object.entries(spec.args).map(([key, value]) =>
    key === 'expression' || key === 'column_name'
      ? String(value)
      : `${key} ${Array.isArray(value) ? value.join(', ') : String(value)}`,
  );
  const severity = spec.severity === 'warn' ? ' [warn]' : '';
  return `${spec.test}${args.length ? ` (${args.join('; ')})` : ''}${severity}`;
}

function singularTestsByModel(project: ModelProject): Map<string, LineageTest[]> {
  const byModel = new Map<string, LineageTest[]>();
  for (const test of project.singularTests) {
    for (const match of test.sql.matchAll(/ref\(\s*['"](\w+)['"]\s*\)/g)) {
      const list = byModel.get(match[1]!) ?? [];
      if (!list.some((listed) => listed.name === test.name))
        list.push({ name: test.name, text: `${test.name} (singular)` });
      byModel.set(match[1]!, list);
    }
  }
  return byModel;
}

/** Changes when any file of the project is added, removed or rewritten. */
async function folderSignature(dir: string): Promise<string> {
  const entries = (await readdir(dir, { recursive: true })).sort();
  const parts: string[] = [];
  for (const entry of entries) {
    const info = await stat(join(dir, entry));
    if (info.isFile()) parts.push(`${entry}:${info.size}:${info.mtimeMs}`);
  }
  return parts.join('|');
}
