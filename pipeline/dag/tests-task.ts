/**
 * `tests`: the model project's tests on what the run built. A failing error-severity test fails the task without
 * retrying it (the same rows fail again) and keeps the marts out of gold; each failing test is logged as a
 * `check-failed` event with its SQL and sample rows, which `fintech-etl logs RUN` shows.
 */

import { testModels } from '../../src/models/testing/test-models.ts';
import { testCheckEvents } from '../../src/orchestrator/check-failed-events.ts';
import type { JsonValue } from '../../src/orchestrator/definitions/json-value.ts';
import { NonRetryableError } from '../../src/orchestrator/definitions/non-retryable-error.ts';
import { defineTask } from '../../src/orchestrator/definitions/task-definition.ts';
import type { DailyResources } from './daily-resources.ts';
import { dailyTaskRun } from './daily-task.ts';
import type { modelsTask } from './models-task.ts';
import { ensureSilverBatch } from './silver-batch.ts';

export interface TestsOutput {
  passed: number;
  warned: number;
  tests: { name: string; status: string; failures: number }[];
  summary: string;
}

export function testsTask(resources: () => DailyResources, models: ReturnType<typeof modelsTask>) {
  return defineTask({
    name: 'tests',
    description:
      'the model tests on the rows the run wrote; a failing error test keeps the marts out of gold',
    dependsOn: [models],
    retry: { retries: 1, retryDelay: 30, backoff: 'exponential', maxRetryDelay: 600 },
    run: dailyTaskRun(resources, async ({ logicalDate, runId, upstream }, context, shared) => {
      const warehouse = await shared.warehouse();
      const { vars } = upstream.models;
      await ensureSilverBatch(shared, warehouse, runId, logicalDate, upstream.models);
      const project = shared.project({ ...vars });
      const result = await testModels({ warehouse, project, vars: { ...vars }, runId });
      for (const event of testCheckEvents(result.tests)) {
        context.events.emit({
          ...event,
          sample: JSON.parse(JSON.stringify(event.sample)) as Record<string, JsonValue>[],
        });
      }
      const count = (status: string) => result.tests.filter((test) => test.status === status).length;
      const failed = result.tests.filter((test) => test.status === 'fail' || test.status === 'error');
      const summary =
        `${count('pass')} passed, ${count('warn')} warned, ${failed.length} failed` +
        (failed.length ? `: ${failed.map((test) => test.name).join(', ')} (see audit.test_failures)` : '');
      if (!result.ok) throw new NonRetryableError(`model tests: ${summary}`);
      return {
        passed: count('pass'),
        warned: count('warn'),
        tests: result.tests.map(({ name, status, failures }) => ({ name, status, failures })),
        summary,
      };
    }),
  });
}
