/**
 * The reconciliation ledger (DESIGN.md §5.1): one flat JSON record per processed bronze partition and run,
 * loaded by the warehouse into `audit.ledger`. `bronze_rows = inserted + superseded + duplicates + quarantined`
 * must hold or the run fails before anything is committed.
 */
import type { ColumnSpec } from '../core/column-type.ts';
import type { IsoDate } from '../core/dates.ts';
import { daysBetween } from '../core/dates.ts';
import { PipelineError } from '../core/errors.ts';
import type { ReasonCode } from '../core/reason-codes.ts';

export interface LedgerEntry {
  run_id: string;
  dataset: 'transactions';
  ingest_date: IsoDate;
  /** Non-blank lines / data rows read from the partition's files. */
  bronze_rows: number;
  /** First version of a transaction_id seen in silver. */
  inserted: number;
  /** A changed version: it replaced the current silver row, or (arriving out of order) lost to a newer one. */
  superseded: number;
  /** Same content as the version before it (or the very row already applied, on a rerun). */
  duplicates: number;
  quarantined: number;
  quarantined_by_reason: Partial<Record<ReasonCode, number>>;
  /** Inserted or superseding rows whose event_date is before the ingest date. */
  late_rows: number;
  /** Days late (ingest_date − event_date) → rows, keys as strings ("1", "2", …). */
  late_by_days: Record<string, number>;
  /** `event_date=…/merchant_category=…` partitions this run rewrote (or emptied). */
  touched_partitions: string[];
  files: string[];
  processed_at: string;
}

/**
 * The scalar fields of an entry as table columns: what an engine that cannot read a JSON file's fields itself
 * (Redshift) creates `audit.ledger` from; the nested ones (`quarantined_by_reason`, `late_by_days`, the lists)
 * stay in the lake's JSON.
 */
export const LEDGER_COLUMNS: ColumnSpec[] = [
  { name: 'run_id', type: { kind: 'varchar', maxLength: 256 } },
  { name: 'dataset', type: { kind: 'varchar', maxLength: 32 } },
  { name: 'ingest_date', type: { kind: 'date' } },
  ...(['bronze_rows', 'inserted', 'superseded', 'duplicates', 'quarantined', 'late_rows'] as const).map(
    (name): ColumnSpec => ({ name, type: { kind: 'bigint' } }),
  ),
  { name: 'processed_at', type: { kind: 'varchar', maxLength: 64 } },
];

export type OutcomeCounts = Pick<LedgerEntry, 'inserted' | 'superseded' | 'duplicates' | 'quarantined'>;

/** The ledger's invariant; throws the PipelineError that fails the run. */
export function assertLedgerBalanced(
  entry: Pick<LedgerEntry, 'bronze_rows' | 'ingest_date'> & OutcomeCounts,
) {
  const accounted = entry.inserted + entry.superseded + entry.duplicates + entry.quarantined;
  if (accounted !== entry.bronze_rows) {
    throw new PipelineError(
      `silver ledger for ingest_date=${entry.ingest_date} does not balance: bronze_rows ${entry.bronze_rows} ≠ ` +
        `inserted ${entry.inserted} + superseded ${entry.superseded} + duplicates ${entry.duplicates} + ` +
        `quarantined ${entry.quarantined} (= ${accounted}); nothing was committed`,
    );
  }
}

/** Groups event dates of late rows by how many days after the event they arrived. */
export function lateByDays(
  ingestDate: IsoDate,
  eventDates: Iterable<[IsoDate, number]>,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [eventDate, rows] of eventDates) {
    const days = daysBetween(eventDate, ingestDate);
    if (days > 0) counts[String(days)] = (counts[String(days)] ?? 0) + rows;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => Number(a) - Number(b)));
}

/**
 * The file name of a run's entry: `<run id>@<tag>.json`. The tag keeps names unique when one run processes a
 * date twice (a retried task), which then replaces its own earlier entry ({@link isEntryOfRun}).
 */
export function ledgerEntryName(runId: string, tag: string): string {
  return `${safeRunId(runId)}@${tag}.json`;
}

/** Whether a ledger file name is an entry of `runId`. */
export function isEntryOfRun(name: string, runId: string): boolean {
  return name.startsWith(`${safeRunId(runId)}@`);
}

/** A run id as a file name part: characters outside [A-Za-z0-9_.-] become `_`. */
export function safeRunId(runId: string): string {
  return runId.replace(/[^A-Za-z0-9_.-]/g, '_');
}
