import { describe, expect, it } from 'vitest';
import { defineDag, downstreamOf, upstreamOf } from './dag.ts';
import { DagDefinitionError, defineTask } from './task-definition.ts';

const noop = async () => undefined;

describe('defineDag', () => {
  const extract = defineTask({ name: 'extract', run: async () => ({ rows: 3 }) });
  const transform = defineTask({
    name: 'transform',
    dependsOn: [extract],
    run: async ({ upstream }) => ({ doubled: upstream.extract.rows * 2 }),
  });
  const report = defineTask({ name: 'report', dependsOn: ['extract'], run: noop });
  const publish = defineTask({ name: 'publish', dependsOn: [transform, report], run: noop });

  it('orders tasks dependencies first, whatever the declaration order', () => {
    const dag = defineDag({ name: 'etl', tasks: [publish, report, transform, extract] });
    expect(dag.order).toEqual(['extract', 'report', 'transform', 'publish']);
    expect(dag.task('publish').dependencies).toEqual(['transform', 'report']);
    expect(downstreamOf(dag, 'transform')).toEqual(['transform', 'publish']);
    expect(downstreamOf(dag, 'extract')).toEqual(['extract', 'report', 'transform', 'publish']);
    expect(upstreamOf(dag, 'publish')).toEqual(['extract', 'report', 'transform']);
  });

  it('refuses a dependency on a task the DAG does not have, naming both', () => {
    expect(() => defineDag({ name: 'etl', tasks: [transform] })).toThrow(
      "DAG etl: task 'transform' depends on 'extract', which is not a task of this DAG (tasks: transform)",
    );
  });

  it('refuses a cycle, naming the path that closes it', () => {
    const a = defineTask({ name: 'a', dependsOn: ['c'], run: noop });
    const b = defineTask({ name: 'b', dependsOn: ['a'], run: noop });
    const c = defineTask({ name: 'c', dependsOn: ['b'], run: noop });
    const error = (() => {
      try {
        defineDag({ name: 'loop', tasks: [a, b, c] });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(DagDefinitionError);
    expect((error as Error).message).toBe('DAG loop has a dependency cycle: a → c → b → a');
  });

  it('refuses duplicate names and bad names', () => {
    expect(() => defineDag({ name: 'etl', tasks: [extract, extract] })).toThrow(
      /'extract' is declared twice/,
    );
    expect(() => defineTask({ name: 'Load Data', run: noop })).toThrow(/task name 'Load Data' is not valid/);
    expect(() => defineDag({ name: 'etl', tasks: [] })).toThrow(/has no tasks/);
  });

  it('checks declared retry policies and timeouts', () => {
    expect(() => defineTask({ name: 'x', retry: { jitter: 2 }, run: noop })).toThrow(
      "task 'x': jitter must be between 0 and 1",
    );
    expect(() => defineTask({ name: 'x', timeoutSeconds: 0, run: noop })).toThrow(
      /timeout must be more than 0/,
    );
    expect(defineTask({ name: 'x', retry: { retries: 2 }, run: noop }).retry).toEqual({
      retries: 2,
      retryDelay: 30,
      backoff: 'exponential',
      maxRetryDelay: 600,
      jitter: 0,
    });
  });
});
