/**
 * `quality`: the quality gate on the silver batch of D (src/orchestrator/quality-step.ts). A failed error
 * expectation holds D and fails the task without retrying it (another try judges the same rows); the operator
 * reruns with `--accept-quality-failures` (recorded in the output) or fixes the feed. Each failed expectation is
 * logged as a `check-failed` event, with its sample, for the failure report.
 */
import type { IsoDate } from '../../src/core/dates.ts';
import { qualityCheckEvents } from '../../src/orchestrator/check-failed-events.ts';
import type { JsonValue } from '../../src/orchestrator/definitions/json-value.ts';
import { NonRetryableError } from '../../src/orchestrator/definitions/non-retryable-error.ts';
import { defineTask } from '../../src/orchestrator/definitions/task-definition.ts';
import {
  type JudgedPendingDate,
  qualitySummary,
  runQualityStep,
} from '../../src/orchestrator/quality-step.ts';
import { failedResults } from '../../src/quality/quality-result.ts';
import type { DailyResources } from './daily-resources.ts';
import { dailyTaskRun } from './daily-task.ts';
import { liveBatchFiles } from './silver-batch.ts';
import type { silverTask } from './silver-task.ts';

/**
 * The run's conf key of `run --accept-quality-failures`: the operator's decision for the invocation driving the
 * run, set on the run by its driver before each quality try (daily-runner.ts), read wherever that try runs.
 */
export const ACCEPT_QUALITY_FAILURES = 'accept_quality_failures';

/** What the load and the models take: the run's own changes, or the whole batch of a date a hold released. */
export interface LoadBatch {
  touchedEventDates: IsoDate[];
  writtenFiles: string[];
}

export interface QualityOutput {
  outcome: 'passed' | 'failed';
  /** Error expectations failed and the operator accepted them. */
  accepted: boolean;
  /** D was held and this run releases it: the load takes its whole batch; gold drops the hold at the end. */
  releasing: boolean;
  batch: LoadBatch;
  /**
   * Other dates whose silver a killed run left unjudged, judged before the load takes them (quality-step.ts);
   * a failed one is held, and the run goes on. In the summary too.
   */
  pendingDates: JudgedPendingDate[];
  failed: {
    dataset: string;
    expectationId: string;
    partition: string;
    severity: string;
    details: string;
    observed: JsonValue;
  }[];
  summary: string;
}

export function qualityTask(resources: () => DailyResources, silver: ReturnType<typeof silverTask>) {
  return defineTask({
    name: 'quality',
    description: "the expectation suites on D's silver batch; a failed error expectation holds D",
    dependsOn: [silver],
    retry: { retries: 1, retryDelay: 30, backoff: 'exponential', maxRetryDelay: 600 },
    run: dailyTaskRun(resources, async ({ logicalDate, runId, upstream, conf }, context, shared) => {
      const step = await runQualityStep({
        config: shared.config,
        lake: shared.lake,
        warehouse: await shared.warehouse(),
        ingestDate: logicalDate,
        runId,
        suites: shared.suites,
        silver: {
          writtenFiles: await liveBatchFiles(shared.lake, upstream.silver.writtenFiles),
          touchedEventDates: upstream.silver.touchedEventDates,
          ledger: upstream.silver.ledger,
        },
        acceptFailures: conf[ACCEPT_QUALITY_FAILURES] === true,
        signal: context.signal,
      });
      const failed = failedResults(step.gate);
      for (const event of qualityCheckEvents(step.gate, shared.suites)) context.events.emit(event);
      const summary = qualitySummary(step);
      if (step.held) throw new NonRetryableError(`quality gate: ${summary}`);
      return {
        outcome: step.gate.outcome,
        accepted: step.accepted,
        releasing: step.releasing,
        batch: step.load,
        pendingDates: (step.pendingDates ?? []).map(({ ingestDate, outcome, held, error }) => ({
          ingestDate,
          outcome,
          held,
          ...(error === undefined ? {} : { error }),
        })),
        failed: failed.map(({ dataset, expectationId, partition, severity, details, observed }) => ({
          dataset,
          expectationId,
          partition,
          severity,
          details,
          observed,
        })),
        summary,
      };
    }),
  });
}
