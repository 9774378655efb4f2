/**
 * `silver`: bronze partition `ingest_date=D` → silver, quarantine, ledger and the entity snapshots of D, one
 * commit of the lake (src/silver). The entity snapshots are part of that commit, not a task of their own: split
 * apart, a crash between the two would leave silver transactions whose snapshot of the same day is missing.
 *
 * A retry after the process died past the commit (the state store has no output, the lake has the commit) reads
 * the committed result back instead of processing the date again (src/silver/committed-silver-run.ts).
 * The partitions it rewrote are recorded in the state store, so `plan` sees late data not yet in the marts.
 * With check tasks before it (config `silver.check_jobs`), it reads their staged results instead of bronze.
 */
import type { IsoDate } from '../../src/core/dates.ts';
import { bronzeTable } from '../../src/lake/lake-layout.ts';
import { NonRetryableError } from '../../src/orchestrator/definitions/non-retryable-error.ts';
import { defineTask } from '../../src/orchestrator/definitions/task-definition.ts';
import { committedSilverRun } from '../../src/silver/committed-silver-run.ts';
import type { LedgerEntry } from '../../src/silver/ledger-entry.ts';
import { runSilver } from '../../src/silver/run-silver.ts';
import type { DailyResources } from './daily-resources.ts';
import { dailyTaskRun } from './daily-task.ts';
import type { SilverCheckOutput, silverCheckTask } from './silver-check-task.ts';

export interface SilverOutput {
  ledger: LedgerEntry;
  /** Event dates whose partitions the commit rewrote: what the warehouse reloads and the models rebuild. */
  touchedEventDates: IsoDate[];
  /** The transaction files the commit wrote (lake keys); empty when read back after a crash. */
  writtenFiles: string[];
  entities: { dataset: string; snapshotDate: IsoDate; rows: number; rejected: number | null }[];
  /** Runs whose commit a crash had left unfinished, finished first. */
  recoveredRuns: string[];
  /** The result was read back from the lake: this run had committed it before its process died. */
  readBack: boolean;
  summary: string;
}

/**
 * `checks`: the day's check tasks (silver-check-task.ts), whose staged results the commit reads instead of
 * bronze; none: silver reads and checks bronze itself.
 */
export function silverTask(
  resources: () => DailyResources,
  checks: readonly ReturnType<typeof silverCheckTask>[] = [],
) {
  return defineTask({
    name: 'silver',
    description: checks.length
      ? `the silver commit of D from its ${checks.length} check tasks: silver, quarantine, ledger and entity snapshots (one lake commit)`
      : 'bronze partition ingest_date=D → silver, quarantine, ledger and entity snapshots (one lake commit)',
    dependsOn: checks,
    retry: { retries: 2, retryDelay: 30, backoff: 'exponential', maxRetryDelay: 600 },
    run: dailyTaskRun<Record<string, SilverCheckOutput>, SilverOutput>(
      resources,
      async ({ logicalDate, runId, upstream }, context, shared) => {
        const bronze = await shared.lake.snapshot(bronzeTable('transactions'));
        if (bronze.files({ ingest_date: logicalDate }).length === 0) {
          // Another try finds no more bronze than this one: ingest it (or generate it), then run the date again.
          throw new NonRetryableError(
            `no bronze transactions partition for ingest_date=${logicalDate} (nothing to process)`,
          );
        }
        const committed = await committedSilverRun(shared.lake, logicalDate, runId);
        for (const run of committed?.recoveredRuns ?? []) {
          context.events.emit({
            kind: 'notice',
            message: `finished the interrupted silver commit of run ${run}`,
          });
        }
        if (committed) {
          context.events.emit({
            kind: 'notice',
            message: `silver of ${logicalDate} was committed by this run before its process stopped: using that commit`,
          });
        }
        const result =
          committed ??
          (await runSilver({
            config: shared.config,
            lake: shared.lake,
            ingestDate: logicalDate,
            runId,
            events: context.events,
            signal: context.signal,
            ...(shared.faults.silverCommit ? { commitHooks: shared.faults.silverCommit } : {}),
            ...(checks.length ? { checked: checks.map((check) => upstream[check.name]!) } : {}),
          }));
        await shared.store.recordSilverWrites(
          runId,
          result.touchedEventDates.map((date) => ({ dataset: 'transactions', partitionDate: date })),
          new Date(),
        );
        const { ledger } = result;
        return {
          ledger,
          touchedEventDates: result.touchedEventDates,
          writtenFiles: result.writtenFiles,
          entities: result.entities.map(({ dataset, snapshotDate, rows, rejected }) => ({
            dataset,
            snapshotDate,
            rows,
            rejected,
          })),
          recoveredRuns: result.recoveredRuns,
          readBack: committed !== undefined,
          summary:
            `${ledger.bronze_rows} bronze rows: ${ledger.inserted} inserted, ${ledger.superseded} superseded, ` +
            `${ledger.duplicates} duplicates, ${ledger.quarantined} quarantined; ` +
            `${result.touchedEventDates.length} event dates touched`,
        };
      },
    ),
  });
}
