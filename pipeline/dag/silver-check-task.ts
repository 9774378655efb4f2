/**
 * `silver_check_<n>` (config `silver.check_jobs` above 1): share n of D's silver check — its own whole bronze
 * files when the day has at least N files, else every file's records k with (k - 1) mod N = n - 1
 * (src/silver/check-share.ts) — read, checked against the contract, tokenized and hashed, staged in the
 * lake for the `silver` task, which commits the day from what its check tasks staged
 * (src/silver/check-bronze-chunk.ts). The check tasks of a date depend on nothing, so queue workers run them at
 * once; they write nothing that is committed, so a retried or repeated one is harmless.
 */

import { bronzeTable } from '../../src/lake/lake-layout.ts';
import { NonRetryableError } from '../../src/orchestrator/definitions/non-retryable-error.ts';
import { defineTask } from '../../src/orchestrator/definitions/task-definition.ts';
import { type CheckedChunk, checkBronzeChunk } from '../../src/silver/check-bronze-chunk.ts';
import type { DailyResources } from './daily-resources.ts';
import { dailyTaskRun } from './daily-task.ts';

export interface SilverCheckOutput extends CheckedChunk {
  summary: string;
}

/** Task `silver_check_<n>`, n from 1. */
export function silverCheckName(index: number): string {
  return `silver_check_${index + 1}`;
}

export function silverCheckTask(resources: () => DailyResources, index: number, of: number) {
  return defineTask({
    name: silverCheckName(index),
    description: `silver check ${index + 1} of ${of}: its share of D's bronze (whole files, or every ${of === 1 ? '' : `${of}th `}record when fewer files than ${of}) read, checked and tokenized, staged for the commit`,
    retry: { retries: 2, retryDelay: 30, backoff: 'exponential', maxRetryDelay: 600 },
    // It stages objects of its own date and commits nothing: a backfill runs every date's checks at once.
    independentOfOtherDates: true,
    run: dailyTaskRun<Record<string, never>, SilverCheckOutput>(
      resources,
      async ({ logicalDate, runId }, context, shared) => {
        const bronze = await shared.lake.snapshot(bronzeTable('transactions'));
        if (bronze.files({ ingest_date: logicalDate }).length === 0) {
          throw new NonRetryableError(
            `no bronze transactions partition for ingest_date=${logicalDate} (nothing to process)`,
          );
        }
        const checked = await checkBronzeChunk({
          config: shared.config,
          lake: shared.lake,
          ingestDate: logicalDate,
          runId,
          chunk: { index, of },
          events: context.events,
          signal: context.signal,
        });
        return {
          ...checked,
          summary: `chunk ${index + 1} of ${of} (${checked.split === 'files' ? `${Object.keys(checked.parsed).length} whole files` : 'interleaved records'}): ${checked.validRows} valid, ${checked.quarantinedRows} quarantined records staged`,
        };
      },
    ),
  });
}
