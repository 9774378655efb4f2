/**
 * The model tests' latest results, from the control plane alone: the newest run whose `tests` task ran, and the
 * `check-failed` events of that task's latest try log (src/orchestrator/check-failed-events.ts) — one per test
 * that failed, warned or could not run. The daily run's `tests` task runs every test, so a test not named
 * there passed in that run. A try that failed without logging any check never got to judge the tests: nothing
 * is known then.
 */
import { readEventLog } from '../../orchestrator/execution/event-log.ts';
import type { RunStateReader } from './run-state-reader.ts';

/** The task whose log holds the test results (the daily DAG's). */
export const TESTS_TASK = 'tests';
const RECENT_RUNS = 50;

export interface LatestTestResults {
  run_id: string;
  dag: string;
  logical_date: string;
  finished_at: string | null;
  /** Whether the tests were judged in that run (every test not in `results` passed); false: nothing is known. */
  judged: boolean;
  /** The tests that did not pass, by name. */
  results: Record<string, { status: string; failures: number | null }>;
}

export async function latestTestResults(runs: RunStateReader): Promise<LatestTestResults | null> {
  const store = await runs.store();
  if (!store) return null;
  const recent = await store.listRuns({ limit: RECENT_RUNS });
  const instances = await store.taskInstances(recent.map((run) => run.runId));
  const ran = new Set(
    instances
      .filter((instance) => instance.task === TESTS_TASK && instance.tryNumber > 0)
      .filter((instance) => instance.state === 'success' || instance.state === 'failed')
      .map((instance) => instance.runId),
  );
  const run = recent.find((candidate) => ran.has(candidate.runId));
  if (!run) return null;
  const tries = await store.tries(run.runId, TESTS_TASK);
  const latest = tries.at(-1);
  const file = latest ? runs.logFileOf(latest) : undefined;
  const results: LatestTestResults['results'] = {};
  if (file) {
    for (const event of (await readEventLog(file)).events) {
      if (event.kind !== 'check-failed' || event['check'] !== 'test') continue;
      results[String(event['name'])] = {
        status: String(event['status']),
        failures: typeof event['failures'] === 'number' ? event['failures'] : null,
      };
    }
  }
  return {
    run_id: run.runId,
    dag: run.dag,
    logical_date: run.logicalDate,
    finished_at: latest?.finishedAt?.toISOString() ?? null,
    judged: latest?.state === 'success' || Object.keys(results).length > 0,
    results,
  };
}
