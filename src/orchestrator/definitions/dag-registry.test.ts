import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors.ts';
import { defineDag } from './dag.ts';
import { DagRegistry } from './dag-registry.ts';
import { DagDefinitionError, defineTask } from './task-definition.ts';

const one = (name: string) =>
  defineDag({ name, tasks: [defineTask({ name: 'only', run: async () => ({ ok: true }) })] });

describe('DagRegistry', () => {
  it('builds a registered DAG by name, from a value or from a factory given the caller context', async () => {
    const registry = new DagRegistry();
    const fixed = one('fixed');
    registry.register('fixed', fixed);
    const contexts: unknown[] = [];
    registry.register('made', (context: { home: string }) => {
      contexts.push(context);
      return one('made');
    });
    expect(registry.names()).toEqual(['fixed', 'made']);
    expect(await registry.build('fixed', undefined)).toBe(fixed);
    expect((await registry.build('made', { home: '/h' })).order).toEqual(['only']);
    expect(contexts).toEqual([{ home: '/h' }]);
  });

  it('names the registered DAGs when asked for another, and refuses a second registration under one name', async () => {
    const registry = new DagRegistry();
    await expect(registry.build('daily_batch_etl', {})).rejects.toThrow(
      new UsageError('no DAG named daily_batch_etl is registered in this process (registered: none)'),
    );
    const dag = one('etl');
    registry.register('etl', dag);
    registry.register('etl', dag);
    expect(() => registry.register('etl', one('etl'))).toThrow(
      new DagDefinitionError('DAG etl is registered twice, by two different modules'),
    );
    await expect(registry.build('other', {})).rejects.toThrow('(registered: etl)');
    registry.register('mislabelled', () => one('etl'));
    await expect(registry.build('mislabelled', {})).rejects.toThrow(
      'the factory registered as DAG mislabelled built DAG etl',
    );
  });
});
