/**
 * Where each zone lives inside the lake (DESIGN.md §4). Every path the program builds in the lake comes from
 * here, so the layout is written down once.
 */
import { join } from 'node:path';
import type { IsoDate } from '../core/dates.ts';

export type BronzeDataset = 'transactions' | 'customers' | 'cards' | 'merchants';
export const BRONZE_DATASETS: readonly BronzeDataset[] = ['transactions', 'customers', 'cards', 'merchants'];
export type EntityDataset = Exclude<BronzeDataset, 'transactions'>;
export const ENTITY_DATASETS: readonly EntityDataset[] = ['customers', 'cards', 'merchants'];

export const MANIFEST_FILE = '_manifest.json';

/** A silver transactions partition's folder relative to the zone (also how a run stages it). */
export function silverPartitionPath(eventDate: IsoDate, merchantCategory: string): string {
  return join(`event_date=${eventDate}`, `merchant_category=${merchantCategory}`);
}

export class LakeLayout {
  constructor(readonly root: string) {}

  bronzeDataset(dataset: BronzeDataset): string {
    return join(this.root, 'bronze', dataset);
  }

  bronzePartition(dataset: BronzeDataset, ingestDate: IsoDate): string {
    return join(this.bronzeDataset(dataset), `ingest_date=${ingestDate}`);
  }

  /** A silver dataset's folder (transactions, or an entity's snapshots). */
  silverDataset(dataset: BronzeDataset): string {
    return join(this.root, 'silver', dataset);
  }

  silverTransactions(): string {
    return this.silverDataset('transactions');
  }

  silverPartition(eventDate: IsoDate, merchantCategory: string): string {
    return join(this.silverTransactions(), silverPartitionPath(eventDate, merchantCategory));
  }

  /** Entity snapshots after tokenization (cards lose their PAN here), one folder per snapshot date. */
  silverEntity(dataset: EntityDataset, snapshotDate?: IsoDate): string {
    const base = join(this.root, 'silver', dataset);
    return snapshotDate ? join(base, `snapshot_date=${snapshotDate}`) : base;
  }

  quarantinePartition(ingestDate: IsoDate): string {
    return join(this.root, 'quarantine', 'transactions', `ingest_date=${ingestDate}`);
  }

  /** Reconciliation ledger entries, one JSON file per processed bronze partition and run. */
  ledger(): string {
    return join(this.root, '_ledger');
  }

  goldMart(mart: string): string {
    return join(this.root, 'gold', 'marts', mart);
  }

  /** Scratch space for writes that are swapped in with a rename; same filesystem as the zones. */
  staging(): string {
    return join(this.root, '_staging');
  }
}
