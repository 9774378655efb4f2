/**
 * Every lake read of the web app: the gold marts' Parquet files, the quarantine's Parquet files, the ledger's
 * JSON entries, the quality gate's run records and the bronze manifests, each as its table's latest committed
 * snapshot lists them (src/lake), never a folder listing, so the pages never show a half-written export. Nothing
 * else in src/web knows where these live. Each read returns what is committed now: the server picks up a run's
 * new files on the next request, without a restart.
 */
import type { IsoDate } from '../../core/dates.ts';
import type { LiveFile } from '../../lake/commit-log/table-snapshot.ts';
import type { Lake } from '../../lake/lake.ts';
import {
  BRONZE_DATASETS,
  type BronzeDataset,
  bronzeManifestKey,
  bronzeTable,
  goldTable,
  LEDGER_TABLE,
  QUALITY_RESULTS_TABLE,
  QUARANTINE_TABLE,
} from '../../lake/lake-layout.ts';
import type { BronzeManifest } from '../../lake/manifest.ts';
import { bronzeFingerprint } from '../../orchestrator/planner/bronze-fingerprint.ts';
import type { BronzePartitionNow } from '../../orchestrator/planner/plan-dates.ts';
import type { QualityRunRecord } from '../../quality/quality-results-store.ts';
import type { LedgerEntry } from '../../silver/ledger-entry.ts';

/**
 * The files of a table as one committed version: `version` changes whenever a commit changes them (their
 * names are never reused), and `localPaths` gives files DuckDB reads (downloaded first from an S3 lake).
 */
export interface FileSet {
  version: string;
  count: number;
  localPaths(): Promise<string[]>;
}

export class LakeFiles {
  /** Entries by key: a ledger object is never rewritten, so what was read once stays true. */
  private readonly ledgerCache = new Map<string, LedgerEntry>();
  /** Quality records by key: a record object is never rewritten (a retried gate publishes a new one). */
  private readonly qualityCache = new Map<string, QualityRunRecord>();
  /** A committed bronze partition is immutable (DESIGN.md §4): its manifest, once read, stays true. */
  private readonly bronzeCache = new Map<string, BronzePartitionNow>();

  constructor(private readonly lake: Lake) {}

  /** The gold export of `mart`, or undefined before the first successful run. */
  async goldMart(mart: string): Promise<FileSet | undefined> {
    const files = (await this.lake.snapshot(goldTable(mart))).files();
    return files.length === 0 ? undefined : this.fileSet(files);
  }

  /** Every quarantine Parquet file, one per ingest date. */
  async quarantineFiles(): Promise<FileSet> {
    return this.fileSet((await this.lake.snapshot(QUARANTINE_TABLE)).files());
  }

  /**
   * The latest ledger entry of every processed ingest date (a rerun writes another entry; the newest
   * `processed_at` describes the partition as it stands), with how many runs processed it.
   */
  async latestLedgerEntries(): Promise<LedgerRow[]> {
    const byDate = new Map<IsoDate, LedgerRow>();
    for (const entry of await this.ledgerEntries()) {
      const seen = byDate.get(entry.ingest_date);
      const runs = (seen?.runs ?? 0) + 1;
      const newer = !seen || entry.processed_at > seen.entry.processed_at;
      byDate.set(entry.ingest_date, { entry: newer ? entry : seen.entry, runs });
    }
    return [...byDate.values()].sort((a, b) => a.entry.ingest_date.localeCompare(b.entry.ingest_date));
  }

  /**
   * The committed bronze partitions now (one snapshot read per dataset): the latest ingest date of
   * transactions, and for a range of dates each dataset's partition (what `plan` compares with the
   * fingerprints a run recorded).
   */
  async bronze(): Promise<BronzeNow> {
    const snapshots = await this.lake.snapshots(BRONZE_DATASETS.map(bronzeTable));
    const datesOf = new Map<BronzeDataset, string[]>();
    let latest: IsoDate | undefined;
    for (const dataset of BRONZE_DATASETS) {
      const dates: string[] = [];
      for (const values of snapshots.get(bronzeTable(dataset))?.partitions() ?? []) {
        if (values['ingest_date']) dates.push(values['ingest_date']);
      }
      datesOf.set(dataset, dates);
      if (dataset === 'transactions') latest = dates.sort().at(-1) as IsoDate | undefined;
    }
    return {
      latest,
      partitions: async (from, to) => {
        const partitions = new Map<string, Record<string, BronzePartitionNow>>();
        for (const [dataset, dates] of datesOf) {
          for (const date of dates) {
            if (date < from || date > to) continue;
            partitions.set(date, {
              ...partitions.get(date),
              [dataset]: await this.bronzePartition(dataset, date),
            });
          }
        }
        return partitions;
      },
    };
  }

  private async bronzePartition(dataset: BronzeDataset, date: string): Promise<BronzePartitionNow> {
    const key = bronzeManifestKey(dataset, date as IsoDate);
    let partition = this.bronzeCache.get(key);
    if (!partition) {
      const manifest = JSON.parse((await this.lake.store.get(key)).toString('utf8')) as BronzeManifest;
      partition = { fingerprint: bronzeFingerprint(manifest), rows: manifest.rows };
      this.bronzeCache.set(key, partition);
    }
    return partition;
  }

  /** The quality gate's committed run records (table `_quality/results`), oldest evaluation first. */
  async qualityRecords(): Promise<QualityRunRecord[]> {
    const files = (await this.lake.snapshot(QUALITY_RESULTS_TABLE)).files();
    const live = new Set(files.map((file) => file.key));
    for (const key of this.qualityCache.keys()) if (!live.has(key)) this.qualityCache.delete(key);
    const records: QualityRunRecord[] = [];
    for (const file of files) {
      let record = this.qualityCache.get(file.key);
      if (!record) {
        record = JSON.parse((await this.lake.store.get(file.key)).toString('utf8')) as QualityRunRecord;
        this.qualityCache.set(file.key, record);
      }
      records.push(record);
    }
    return records.sort(
      (a, b) => a.evaluatedAt.localeCompare(b.evaluatedAt) || a.runId.localeCompare(b.runId),
    );
  }

  private async ledgerEntries(): Promise<LedgerEntry[]> {
    const files = (await this.lake.snapshot(LEDGER_TABLE)).files();
    const live = new Set(files.map((file) => file.key));
    for (const key of this.ledgerCache.keys()) if (!live.has(key)) this.ledgerCache.delete(key);
    const entries: LedgerEntry[] = [];
    for (const file of files) {
      let entry = this.ledgerCache.get(file.key);
      if (!entry) {
        entry = JSON.parse((await this.lake.store.get(file.key)).toString('utf8')) as LedgerEntry;
        this.ledgerCache.set(file.key, entry);
      }
      entries.push(entry);
    }
    return entries;
  }

  private fileSet(files: LiveFile[]): FileSet {
    return {
      version: files.map((file) => file.key).join('|'),
      count: files.length,
      localPaths: () => this.lake.localPaths(files),
    };
  }
}

/** The bronze zone as one request sees it. */
export interface BronzeNow {
  /** The latest ingest date with a transactions partition. */
  latest: IsoDate | undefined;
  /** Date → dataset → its partition, for the dates from `from` to `to`. */
  partitions(from: IsoDate, to: IsoDate): Promise<Map<string, Record<string, BronzePartitionNow>>>;
}

export interface LedgerRow {
  entry: LedgerEntry;
  /** Runs that processed this ingest date (each wrote an entry). */
  runs: number;
}
