/**
 * The fintech DAG `daily_batch_etl`, for one logical date D (the bronze ingest date it processes):
 *
 *   silver → quality → load → models → tests → gold
 *
 * Each task is a function of its JSON input (the recorded outputs of the tasks it depends on) to a JSON output
 * that the state store records, calling the pipeline's step functions with the shared {@link DailyResources}.
 * Declared retry policies are defaults; `orchestrator.tasks.<name>.*` in the config overrides them
 * (src/orchestrator/definitions/task-overrides.ts).
 *
 * @example
 *   const dag = dailyBatchEtl(() => resources);
 *   await runWithWriterLease({ dag, store, logicalDate: '2025-03-01', logsDir });
 *   dailyBatchEtl().order; // the declaration alone (plan, export airflow): running a task needs resources
 */
import { PipelineError } from '../../src/core/errors.ts';
import { type Dag, defineDag } from '../../src/orchestrator/definitions/dag.ts';
import type { DailyResources } from './daily-resources.ts';
import { goldTask } from './gold-task.ts';
import { loadTask } from './load-task.ts';
import { modelsTask } from './models-task.ts';
import { qualityTask } from './quality-task.ts';
import { silverTask } from './silver-task.ts';
import { testsTask } from './tests-task.ts';

export const DAILY_DAG = 'daily_batch_etl';

export function dailyBatchEtl(resources?: () => DailyResources): Dag {
  const shared =
    resources ??
    (() => {
      throw new PipelineError(`DAG ${DAILY_DAG} was declared without resources: its tasks cannot run`);
    });
  const silver = silverTask(shared);
  const quality = qualityTask(shared, silver);
  const load = loadTask(shared, quality);
  const models = modelsTask(shared, load);
  const tests = testsTask(shared, models);
  const gold = goldTask(shared, models, tests);
  return defineDag({
    name: DAILY_DAG,
    description: 'card transactions of one ingest date: bronze → silver → warehouse → marts → gold',
    tasks: [silver, quality, load, models, tests, gold],
  });
}
