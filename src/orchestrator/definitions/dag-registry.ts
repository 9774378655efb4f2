/**
 * DAGs by name, for a process that receives only a name: a queue worker gets a job `{dag, runId, task, …}` and
 * builds that DAG from what its module registered. Modules register when they are imported (pipeline/dag
 * registers the fintech DAG; `fintech-etl worker --dag-module FILE` imports another module that does).
 *
 * A DAG whose tasks need the program's wiring (config, lake, warehouse) registers a factory; the worker calls it
 * with its context (the CLI's `CliContext`) once, on the first job of that DAG.
 *
 * @example
 *   dagRegistry.register('daily_batch_etl', (context: CliContext) => dailyBatchEtl(context));
 *   const dag = await dagRegistry.build('daily_batch_etl', context);
 */
import { UsageError } from '../../core/errors.ts';
import type { Dag } from './dag.ts';
import { DagDefinitionError } from './task-definition.ts';

export type DagFactory<Context = never> = (context: Context) => Dag | Promise<Dag>;

export class DagRegistry {
  // biome-ignore lint/suspicious/noExplicitAny: each factory takes the context its module declares.
  private readonly factories = new Map<string, DagFactory<any> | Dag>();

  /** Registering the same factory (or DAG) again is a no-op: a module may be imported by several paths. */
  register<Context>(name: string, dag: DagFactory<Context> | Dag): void {
    const current = this.factories.get(name);
    if (current !== undefined && current !== dag) {
      throw new DagDefinitionError(`DAG ${name} is registered twice, by two different modules`);
    }
    this.factories.set(name, dag);
  }

  names(): string[] {
    return [...this.factories.keys()].sort();
  }

  has(name: string): boolean {
    return this.factories.has(name);
  }

  /** The DAG registered as `name`; a name nobody registered is a UsageError naming those that are. */
  async build<Context>(name: string, context: Context): Promise<Dag> {
    const entry = this.factories.get(name);
    if (entry === undefined) {
      const known = this.names();
      throw new UsageError(
        `no DAG named ${name} is registered in this process (registered: ${known.length ? known.join(', ') : 'none'})`,
      );
    }
    const dag = typeof entry === 'function' ? await entry(context) : entry;
    if (dag.name !== name) {
      throw new DagDefinitionError(`the factory registered as DAG ${name} built DAG ${dag.name}`);
    }
    return dag;
  }
}

/** The process's registry: what `--dag-module` files and pipeline/dag register into. */
export const dagRegistry = new DagRegistry();
