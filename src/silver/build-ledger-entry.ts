/**
 * Counts a silver run's ledger entry (ledger-entry.ts) from the tables of its DuckDB session: every bronze row
 * is in `row_outcomes` (inserted, superseded, duplicate) or in `quarantine_rows`, so the entry balances unless
 * a row went missing.
 */
import type { IsoDate } from '../core/dates.ts';
import type { ReasonCode } from '../core/reason-codes.ts';
import { type LedgerEntry, lateByDays } from './ledger-entry.ts';
import type { SilverPartitionRef } from './partition-writes.ts';
import type { SilverSession } from './silver-session.ts';

export interface LedgerContext {
  runId: string;
  ingestDate: IsoDate;
  files: string[];
  touchedPartitions: SilverPartitionRef[];
}

export async function buildLedgerEntry(session: SilverSession, context: LedgerContext): Promise<LedgerEntry> {
  const [bronze] = await session.rows<{ bronze_rows: bigint; quarantined: bigint }>(
    'SELECT (SELECT count(*) FROM row_outcomes) + (SELECT count(*) FROM quarantine_rows) AS bronze_rows, ' +
      '(SELECT count(*) FROM quarantine_rows) AS quarantined',
  );
  const outcomes = new Map(
    (
      await session.rows<{ outcome: string; n: bigint }>(
        'SELECT outcome, count(*) AS n FROM row_outcomes GROUP BY 1',
      )
    ).map((row) => [row.outcome, Number(row.n)]),
  );
  const reasons = await session.rows<{ code: ReasonCode; n: bigint }>(
    'SELECT code, count(*) AS n FROM (SELECT unnest(reason_codes) AS code FROM quarantine_rows) GROUP BY 1 ORDER BY 1',
  );
  const late = await session.rows<{ event_date: string; n: bigint }>(
    `SELECT strftime(event_date, '%Y-%m-%d') AS event_date, count(*) AS n
     FROM row_outcomes
     WHERE outcome IN ('inserted', 'superseded') AND event_date < ingest_date
     GROUP BY 1`,
  );
  const lateCounts = lateByDays(
    context.ingestDate,
    late.map((row) => [row.event_date as IsoDate, Number(row.n)]),
  );
  return {
    run_id: context.runId,
    dataset: 'transactions',
    ingest_date: context.ingestDate,
    bronze_rows: Number(bronze!.bronze_rows),
    inserted: outcomes.get('inserted') ?? 0,
    superseded: outcomes.get('superseded') ?? 0,
    duplicates: outcomes.get('duplicate') ?? 0,
    quarantined: Number(bronze!.quarantined),
    quarantined_by_reason: Object.fromEntries(reasons.map((row) => [row.code, Number(row.n)])),
    late_rows: Object.values(lateCounts).reduce((sum, n) => sum + n, 0),
    late_by_days: lateCounts,
    touched_partitions: context.touchedPartitions.map(
      (partition) => `event_date=${partition.eventDate}/merchant_category=${partition.merchantCategory}`,
    ),
    files: context.files,
    processed_at: new Date().toISOString(),
  };
}
