/**
 * Every lake read of the web app: the gold marts' Parquet files, the quarantine's Parquet files and the ledger's
 * JSON entries, each as its table's latest committed snapshot lists them (src/lake), never a folder listing, so
 * the pages never show a half-written export. Nothing else in src/web knows where these live. Each read returns
 * what is committed now: the server picks up a run's new files on the next request, without a restart.
 */
import type { IsoDate } from '../../core/dates.ts';
import type { LiveFile } from '../../lake/commit-log/table-snapshot.ts';
import type { Lake } from '../../lake/lake.ts';
import { goldTable, LEDGER_TABLE, QUARANTINE_TABLE } from '../../lake/lake-layout.ts';
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

export interface LedgerRow {
  entry: LedgerEntry;
  /** Runs that processed this ingest date (each wrote an entry). */
  runs: number;
}
