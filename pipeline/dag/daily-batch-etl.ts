/**
 * The fintech DAG `daily_batch_etl`, for one logical date D (the bronze ingest date it processes):
 *
 *   silver → quality → load → models → tests → gold
 *
 * With config `silver.check_jobs` N above 1, silver's check runs first as N tasks `silver_check_1…N` that
 * depend on nothing (queue workers run them at once), and `silver` commits the day from what they staged.
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
 *   dailyBatchEtl(() => resources, { silverCheckJobs: 3 }); // silver_check_1…3 → silver → …
 */
import { PipelineError } from '../../src/core/errors.ts';
import { type Dag, defineDag } from '../../src/orchestrator/definitions/dag.ts';
import type { DailyResources } from './daily-resources.ts';
import { goldTask } from './gold-task.ts';
import { loadTask } from './load-task.ts';
import { modelsTask } from './models-task.ts';
import { qualityTask } from './quality-task.ts';
import { silverCheckTask } from './silver-check-task.ts';
import { silverTask } from './silver-task.ts';
import { testsTask } from './tests-task.ts';

export const DAILY_DAG = 'daily_batch_etl';

/** How the DAG is cut, from the config: read by every process that builds it (drivers and workers alike). */
export interface DailyDagShape {
  /** Config `silver.check_jobs`: silver's check as this many tasks before the commit; 1 (default) none. */
  silverCheckJobs?: number;
}

/** The shape a config asks for. */
export function dailyDagShape(config: { silver: { check_jobs: number } }): DailyDagShape {
  return { silverCheckJobs: config.silver.check_jobs };
}

export function dailyBatchEtl(resources?: () => DailyResources, shape: DailyDagShape = {}): Dag {
  const shared =
    resources ??
    (() => {
      throw new PipelineError(`DAG ${DAILY_DAG} was declared without resources: its tasks cannot run`);
    });
  const jobs = shape.silverCheckJobs ?? 1;
  const checks =
    jobs > 1 ? Array.from({ length: jobs }, (_, index) => silverCheckTask(shared, index, jobs)) : [];
  const silver = silverTask(shared, checks);
  const quality = qualityTask(shared, silver);
  const load = loadTask(shared, quality);
  const models = modelsTask(shared, load);
  const tests = testsTask(shared, models);
  const gold = goldTask(shared, models, tests);
  return defineDag({
    name: DAILY_DAG,
    description: 'card transactions of one ingest date: bronze → silver → warehouse → marts → gold',
    tasks: [...checks, silver, quality, load, models, tests, gold],
    // The checks at once (on as many workers as are free); the rest of the DAG is a chain.
    maxActiveTasks: jobs,
  });
}
