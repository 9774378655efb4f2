/**
 * Every lake read of the web app: the gold marts' Parquet files, the quarantine's Parquet files and the ledger's
 * JSON entries. Nothing else in src/web knows where these live, so the lake's move behind an ObjectStore with
 * manifest commits changes this file alone. Each read returns what is there now: the server picks up a run's
 * new files on the next request, without a restart.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { IsoDate } from '../../core/dates.ts';
import type { LakeLayout } from '../../lake/lake-layout.ts';
import { GOLD_FILE } from '../../orchestrator/export-gold.ts';
import type { LedgerEntry } from '../../silver/ledger-entry.ts';

/** A file and a token that changes whenever the file is replaced (the gold export renames a new file in). */
export interface FileVersion {
  path: string;
  version: string;
}

export class LakeFiles {
  private readonly ledgerCache = new Map<string, { version: string; entry: LedgerEntry }>();

  constructor(private readonly layout: LakeLayout) {}

  /** The gold export of `mart`, or undefined before the first successful run. */
  async goldMart(mart: string): Promise<FileVersion | undefined> {
    return fileVersion(join(this.layout.goldMart(mart), GOLD_FILE));
  }

  /** Every quarantine Parquet file, one folder per ingest date. */
  async quarantineFiles(): Promise<FileVersion[]> {
    const zone = join(this.layout.root, 'quarantine', 'transactions');
    const files: FileVersion[] = [];
    for (const partition of await listFolder(zone)) {
      if (!partition.startsWith('ingest_date=')) continue;
      for (const name of await listFolder(join(zone, partition))) {
        if (!name.endsWith('.parquet')) continue;
        const file = await fileVersion(join(zone, partition, name));
        if (file) files.push(file);
      }
    }
    return files;
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
    const zone = join(this.layout.ledger(), 'transactions');
    const entries: LedgerEntry[] = [];
    const present = new Set<string>();
    for (const partition of await listFolder(zone)) {
      if (!partition.startsWith('ingest_date=')) continue;
      for (const name of await listFolder(join(zone, partition))) {
        if (!name.endsWith('.json')) continue;
        const path = join(zone, partition, name);
        const file = await fileVersion(path);
        if (!file) continue;
        present.add(path);
        let cached = this.ledgerCache.get(path);
        if (cached?.version !== file.version) {
          cached = { version: file.version, entry: JSON.parse(await readFile(path, 'utf8')) as LedgerEntry };
          this.ledgerCache.set(path, cached);
        }
        entries.push(cached.entry);
      }
    }
    for (const path of this.ledgerCache.keys()) if (!present.has(path)) this.ledgerCache.delete(path);
    return entries;
  }
}

export interface LedgerRow {
  entry: LedgerEntry;
  /** Runs that processed this ingest date (each wrote an entry). */
  runs: number;
}

async function fileVersion(path: string): Promise<FileVersion | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? { path, version: `${info.ino}:${info.size}:${info.mtimeMs}` } : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function listFolder(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
