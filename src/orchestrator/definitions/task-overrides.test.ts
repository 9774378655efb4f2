import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load-config.ts';
import { defineDag } from './dag.ts';
import { defineTask } from './task-definition.ts';
import { withTaskOverrides } from './task-overrides.ts';

const noop = async () => undefined;
const dag = defineDag({
  name: 'etl',
  tasks: [
    defineTask({ name: 'extract', retry: { retries: 1, retryDelay: 5 }, timeoutSeconds: 60, run: noop }),
    defineTask({ name: 'load', dependsOn: ['extract'], run: noop }),
  ],
});

describe('withTaskOverrides', () => {
  it('applies orchestrator.tasks.<name> from the config over the declared values', () => {
    const config = parseConfig(
      {
        orchestrator: {
          tasks: {
            load: { retries: 3, retry_delay: '2m', backoff: 'linear', max_retry_delay: '1h', jitter: 0.1 },
            extract: { timeout: '90s' },
          },
        },
      },
      'test',
    );
    const tuned = withTaskOverrides(dag, config.orchestrator.tasks);
    expect(tuned.task('load').retry).toEqual({
      retries: 3,
      retryDelay: 120,
      backoff: 'linear',
      maxRetryDelay: 3600,
      jitter: 0.1,
    });
    expect(tuned.task('extract').retry.retries).toBe(1);
    expect(tuned.task('extract').timeoutSeconds).toBe(90);
    expect(tuned.order).toEqual(['extract', 'load']);
  });

  it('names the config key of a task the DAG does not have', () => {
    const config = parseConfig({ orchestrator: { tasks: { laod: { retries: 2 } } } }, 'test');
    expect(() => withTaskOverrides(dag, config.orchestrator.tasks)).toThrow(
      "config key 'orchestrator.tasks.laod': DAG etl has no task 'laod' (tasks: extract, load)",
    );
  });

  it('names the key of a bad value in the config', () => {
    expect(() => parseConfig({ orchestrator: { tasks: { load: { retries: -1 } } } }, 'f.yaml')).toThrow(
      /config key 'orchestrator\.tasks\.load\.retries' has value -1/,
    );
    expect(() =>
      parseConfig({ orchestrator: { tasks: { load: { backoff: 'fibonacci' } } } }, 'f.yaml'),
    ).toThrow(/config key 'orchestrator\.tasks\.load\.backoff' has value "fibonacci"/);
    expect(() =>
      parseConfig({ orchestrator: { tasks: { load: { retry_delay: 'soon' } } } }, 'f.yaml'),
    ).toThrow(/config key 'orchestrator\.tasks\.load\.retry_delay'.*duration such as 30s/);
    expect(() => parseConfig({ orchestrator: { tasks: { load: { retires: 2 } } } }, 'f.yaml')).toThrow(
      /unknown config key 'orchestrator\.tasks\.load\.retires'/,
    );
    expect(() => parseConfig({ scheduler: { schedule: '0 6 * *' } }, 'f.yaml')).toThrow(
      /config key 'scheduler\.schedule' has value "0 6 \* \*": is not a cron expression/,
    );
    expect(() => parseConfig({ alerts: [{ webhook: 'ftp://x', on: ['failure'] }] }, 'f.yaml')).toThrow(
      /config key 'alerts\.0\.webhook'/,
    );
  });
});
