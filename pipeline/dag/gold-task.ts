/**
 * `gold`: every `marts.*` relation exported to the lake's `gold/marts/<mart>` in one commit
 * (src/orchestrator/export-gold.ts). Last, so a date whose tests failed never reaches gold; a date a hold was
 * released for drops its hold record here, once its batch is in the marts.
 */

import { ModelCompiler } from '../../src/models/compile/model-compiler.ts';
import { defineTask } from '../../src/orchestrator/definitions/task-definition.ts';
import { exportGold } from '../../src/orchestrator/export-gold.ts';
import { deleteHold, syncHoldsToWarehouse } from '../../src/quality/quality-holds.ts';
import type { DailyResources } from './daily-resources.ts';
import { dailyTaskRun } from './daily-task.ts';
import type { modelsTask } from './models-task.ts';
import type { testsTask } from './tests-task.ts';

export interface GoldOutput {
  marts: { mart: string; files: string[]; rows: number }[];
  summary: string;
}

export function goldTask(
  resources: () => DailyResources,
  models: ReturnType<typeof modelsTask>,
  tests: ReturnType<typeof testsTask>,
) {
  return defineTask({
    name: 'gold',
    description: 'every mart exported to the lake (gold/marts/<mart>) in one commit',
    dependsOn: [models, tests],
    retry: { retries: 2, retryDelay: 30, backoff: 'exponential', maxRetryDelay: 600 },
    run: dailyTaskRun(resources, async ({ logicalDate, runId, upstream }, context, shared) => {
      const warehouse = await shared.warehouse();
      const { vars, releasing } = upstream.models;
      const project = shared.project({ ...vars });
      const compiler = new ModelCompiler(project, warehouse, { ...vars });
      const marts = [...project.models.keys()]
        .map((name) => compiler.relationOf(name))
        .filter((relation) => relation.schema === 'marts')
        .sort((a, b) => a.name.localeCompare(b.name));
      const exported = await exportGold(warehouse, shared.lake, marts, {
        runId,
        events: context.events,
        signal: context.signal,
      });
      if (releasing) {
        // The released batch is in the marts now: the hold has done its job.
        await deleteHold(shared.lake, logicalDate, runId);
        await syncHoldsToWarehouse(warehouse, shared.lake);
      }
      return {
        marts: exported,
        summary: `${exported.length} marts exported to ${shared.lake.location}/gold/marts`,
      };
    }),
  });
}
