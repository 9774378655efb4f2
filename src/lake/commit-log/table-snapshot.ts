/**
 * The state of one table at one version, rebuilt from its log by Delta's action reconciliation: the newest
 * protocol and metaData, the live files (add minus later remove, by path) and the tombstones of removed files.
 * Readers take their file lists from here, never from listing folders.
 */
import type { AddAction, DeltaAction, MetadataAction, ProtocolAction, RemoveAction } from './delta-log.ts';
import { decodeTablePath } from './delta-log.ts';

/** A live data file: its lake key (what the ObjectStore reads) and what the log says about it. */
export interface LiveFile {
  key: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  numRecords?: number;
}

export class TableSnapshot {
  private constructor(
    readonly table: string,
    /** -1 for a table with no commit yet. */
    readonly version: number,
    readonly protocol: ProtocolAction | undefined,
    readonly metadata: MetadataAction | undefined,
    private readonly adds: ReadonlyMap<string, AddAction>,
    private readonly tombstones: ReadonlyMap<string, RemoveAction>,
  ) {}

  static empty(table: string): TableSnapshot {
    return new TableSnapshot(table, -1, undefined, undefined, new Map(), new Map());
  }

  /** The snapshot after applying the entries of `version` (the next one) or a checkpoint's actions. */
  apply(version: number, actions: readonly DeltaAction[]): TableSnapshot {
    const adds = new Map(this.adds);
    const tombstones = new Map(this.tombstones);
    let protocol = this.protocol;
    let metadata = this.metadata;
    for (const action of actions) {
      if ('add' in action) {
        adds.set(action.add.path, action.add);
        tombstones.delete(action.add.path);
      } else if ('remove' in action) {
        adds.delete(action.remove.path);
        tombstones.set(action.remove.path, action.remove);
      } else if ('protocol' in action) protocol = action.protocol;
      else if ('metaData' in action) metadata = action.metaData;
    }
    return new TableSnapshot(this.table, version, protocol, metadata, adds, tombstones);
  }

  get exists(): boolean {
    return this.version >= 0;
  }

  get partitionColumns(): readonly string[] {
    return this.metadata?.partitionColumns ?? [];
  }

  /** Live files, optionally only those whose partition values match every given one. */
  files(partition: Record<string, string> = {}): LiveFile[] {
    const wanted = Object.entries(partition);
    const files: LiveFile[] = [];
    for (const add of this.adds.values()) {
      if (wanted.every(([column, value]) => add.partitionValues[column] === value))
        files.push(this.liveFile(add));
    }
    return files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Distinct partition values of the live files. */
  partitions(): Record<string, string | null>[] {
    const seen = new Map<string, Record<string, string | null>>();
    for (const add of this.adds.values()) seen.set(JSON.stringify(add.partitionValues), add.partitionValues);
    return [...seen.values()];
  }

  /** Whether the table's current state holds this path (relative, URI-encoded) as a live file. */
  isLive(path: string): boolean {
    return this.adds.has(path);
  }

  addActions(): AddAction[] {
    return [...this.adds.values()];
  }

  removeActions(): RemoveAction[] {
    return [...this.tombstones.values()];
  }

  /** Lake keys of live files and of files removed at or after `since` (ms): what vacuum must keep. */
  keysReferencedSince(since: number): Set<string> {
    const keys = new Set<string>();
    for (const path of this.adds.keys()) keys.add(this.keyOf(path));
    for (const remove of this.tombstones.values())
      if (remove.deletionTimestamp >= since) keys.add(this.keyOf(remove.path));
    return keys;
  }

  keyOf(path: string): string {
    return `${this.table}/${decodeTablePath(path)}`;
  }

  private liveFile(add: AddAction): LiveFile {
    const numRecords = add.stats ? (JSON.parse(add.stats) as { numRecords?: number }).numRecords : undefined;
    return {
      key: this.keyOf(add.path),
      partitionValues: add.partitionValues,
      size: add.size,
      modificationTime: add.modificationTime,
      ...(numRecords !== undefined ? { numRecords } : {}),
    };
  }
}
