/**
 * The quality gate on the Data health page: per ingest date the latest gate run (outcome, counts by status, a
 * link to its data docs page) and, for the newest date of the range, every expectation's result with its
 * observed value. From the gate's run records in the lake (table `_quality/results`).
 */

import { redact } from '../../core/redact.ts';
import type { ExpectationResult } from '../../quality/quality-result.ts';
import type { QualityRunRecord } from '../../quality/quality-results-store.ts';
import { pageName, statusOf } from '../../quality/render-data-docs.ts';
import type { DateRange } from '../server/query-params.ts';

export interface QualityDay {
  ingest_date: string;
  run_id: string;
  outcome: 'passed' | 'failed';
  /** Error expectations failed and the operator loaded the batch anyway. */
  accepted: boolean;
  evaluated_at: string;
  counts: Record<'passed' | 'failed' | 'warned' | 'not_evaluated', number>;
  /** The run's data docs page on this server. */
  docs: string;
}

export interface QualityResultRow {
  key: string;
  suite: string;
  expectation: string;
  partition: string;
  severity: string;
  status: 'PASS' | 'FAIL' | 'WARN' | 'SKIP';
  /** What was measured, as JSON text (a fraction, a count, a mean, shares). */
  observed: string;
  unexpected_percent: number | null;
  details: string;
}

export function qualitySummary(
  records: readonly QualityRunRecord[],
  range: DateRange,
): {
  days: QualityDay[];
  latest: { ingest_date: string; run_id: string; results: QualityResultRow[] } | null;
} {
  const latestByDate = new Map<string, QualityRunRecord>();
  for (const record of records) {
    if (record.ingestDate < range.from || record.ingestDate > range.to) continue;
    // Records come oldest evaluation first: the last one seen for a date is its latest.
    latestByDate.set(record.ingestDate, record);
  }
  const days = [...latestByDate.values()]
    .sort((a, b) => b.ingestDate.localeCompare(a.ingestDate))
    .map((record): QualityDay => {
      const counts = { passed: 0, failed: 0, warned: 0, not_evaluated: 0 };
      for (const result of record.results) counts[COUNTED[statusOf(result)]]++;
      return {
        ingest_date: record.ingestDate,
        run_id: record.runId,
        outcome: record.outcome,
        accepted: record.accepted,
        evaluated_at: record.evaluatedAt,
        counts,
        docs: `/data-docs/runs/${pageName(record.runId)}.html`,
      };
    });
  const newest = days[0] ? latestByDate.get(days[0].ingest_date)! : undefined;
  return {
    days,
    latest: newest
      ? {
          ingest_date: newest.ingestDate,
          run_id: newest.runId,
          results: newest.results.map(resultRow).sort(byStatus),
        }
      : null,
  };
}

const COUNTED = { PASS: 'passed', FAIL: 'failed', WARN: 'warned', SKIP: 'not_evaluated' } as const;
const STATUS_ORDER = { FAIL: 0, WARN: 1, PASS: 2, SKIP: 3 };

function resultRow(result: ExpectationResult): QualityResultRow {
  return {
    key: `${result.suite}/${result.expectationId}/${result.partition}`,
    suite: result.suite,
    expectation: result.expectationId,
    partition: result.partition,
    severity: result.severity,
    status: statusOf(result),
    observed: redact(JSON.stringify(result.observed)),
    unexpected_percent: result.unexpectedPercent,
    details: redact(result.details),
  };
}

/** Failures first, then warnings, passes, and what was not evaluated; by suite and expectation within. */
function byStatus(a: QualityResultRow, b: QualityResultRow): number {
  return STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.key.localeCompare(b.key);
}
