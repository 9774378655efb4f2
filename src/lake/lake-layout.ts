/**
 * Where each zone lives inside the lake (DESIGN.md §4), as object keys relative to the lake root (`/`-separated,
 * the same on a local folder and in a bucket). Every key the program builds in the lake comes from here, so the
 * layout is written down once. Each zone's dataset is a table: a folder of data objects and a Delta log
 * (`<table>/_delta_log/`), which says which objects are the dataset now (commit-log/).
 */
import type { IsoDate } from '../core/dates.ts';

export type BronzeDataset = 'transactions' | 'customers' | 'cards' | 'merchants';
export const BRONZE_DATASETS: readonly BronzeDataset[] = ['transactions', 'customers', 'cards', 'merchants'];
export type EntityDataset = Exclude<BronzeDataset, 'transactions'>;
export const ENTITY_DATASETS: readonly EntityDataset[] = ['customers', 'cards', 'merchants'];

/** The bronze manifest of a partition: written before the partition's commit, read only once it is committed. */
export const MANIFEST_FILE = '_manifest.json';

/** `bronze/<dataset>`: one table per dataset, partitioned by `ingest_date`. */
export function bronzeTable(dataset: BronzeDataset): string {
  return `bronze/${dataset}`;
}

/** `silver/<dataset>`: transactions by (event_date, merchant_category), entity snapshots by snapshot_date. */
export function silverTable(dataset: BronzeDataset): string {
  return `silver/${dataset}`;
}

/** The silver version index (src/silver/silver-index.ts), partitioned by `ingest_date`. */
export const SILVER_INDEX_TABLE = 'silver/_index/transactions';
/** Rejected transaction records, partitioned by `ingest_date`. */
export const QUARANTINE_TABLE = 'quarantine/transactions';
/** Reconciliation ledger entries (JSON, one per processed bronze partition and run), by `ingest_date`. */
export const LEDGER_TABLE = '_ledger/transactions';
/** The quality gate's results (JSON, one record per gate run and ingest date), by `ingest_date` (src/quality). */
export const QUALITY_RESULTS_TABLE = '_quality/results';
/** Held ingest dates (JSON, one live record per held date), by `ingest_date` (src/quality/quality-holds.ts). */
export const QUALITY_HOLDS_TABLE = '_quality/holds';
/**
 * Staged results of silver check jobs (src/silver/check-bronze-chunk.ts), by `ingest_date`: never committed, read
 * by their run's silver commit, deleted by vacuum after the retention period.
 */
export const SILVER_CHECKS_PREFIX = 'silver/_checks/';

/** `gold/marts/<mart>`: one unpartitioned table per exported mart. */
export function goldTable(mart: string): string {
  return `gold/marts/${mart}`;
}
export const GOLD_PREFIX = 'gold/marts/';

/** A Hive-style partition folder, `event_date=2025-03-01/merchant_category=grocery`. */
export function partitionFolder(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([column, value]) => `${column}=${value}`)
    .join('/');
}

/** A silver transactions partition's folder relative to its table. */
export function silverPartitionPath(eventDate: IsoDate, merchantCategory: string): string {
  return partitionFolder({ event_date: eventDate, merchant_category: merchantCategory });
}

/** The key of a bronze partition's manifest. */
export function bronzeManifestKey(dataset: BronzeDataset, ingestDate: IsoDate): string {
  return `${bronzeTable(dataset)}/ingest_date=${ingestDate}/${MANIFEST_FILE}`;
}

/** The last segment of a key (a file name). */
export function baseName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}
