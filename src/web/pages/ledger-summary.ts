import type { LedgerRow } from '../data/lake-files.ts';

/** A ledger entry as the pages show it: the counts, whether they add up, the late rows. */
export function ledgerSummary({ entry, runs }: LedgerRow) {
  return {
    ingest_date: entry.ingest_date,
    processed_at: entry.processed_at,
    runs,
    bronze_rows: entry.bronze_rows,
    inserted: entry.inserted,
    superseded: entry.superseded,
    duplicates: entry.duplicates,
    quarantined: entry.quarantined,
    balanced: entry.inserted + entry.superseded + entry.duplicates + entry.quarantined === entry.bronze_rows,
    late_rows: entry.late_rows,
  };
}
