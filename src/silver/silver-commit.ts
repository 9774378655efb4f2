/**
 * Publishes a silver run: every file it wrote (transaction partitions, version index entry, quarantine, ledger
 * entry, entity snapshots) is uploaded under a name never used before, then one multi-table commit of the lake's
 * commit log adds them and removes the files they replace (src/lake/commit-log). The commit's record is the
 * commit point: a crash before it leaves only objects nothing refers to (vacuum deletes them after the
 * retention period); a crash after it is finished by the next writer, and readers see the whole commit from
 * the moment the record exists. No rename is involved, so it holds on S3.
 */
import type { TableChange, TableDefinition } from '../lake/commit-log/commit-tables.ts';
import type { Lake } from '../lake/lake.ts';

/**
 * Called around the steps of a commit, in this order: before each upload, before the commit point, right after
 * it, and after each table's log entry is written. Production passes none; crash tests throw from them to prove
 * that a run killed at any of these points leaves silver readable and a rerun completes
 * (test/silver/crash-hooks.ts).
 */
export interface CommitHooks {
  beforeUpload?(index: number, total: number): void;
  beforeCommitPoint?(): void;
  afterCommitPoint?(): void;
  afterEntry?(index: number, total: number): void;
}

/** A work file of the run and where it goes. */
export interface StagedObject {
  definition: TableDefinition;
  key: string;
  path: string;
  partitionValues: Record<string, string>;
  numRecords?: number;
}

export interface SilverCommit {
  runId: string;
  staged: StagedObject[];
  /** Live files each table drops, by table. */
  removed: Map<string, string[]>;
  /** Every table the run changes, in the order of its log entries. */
  tables: TableDefinition[];
}

const UPLOADS_IN_FLIGHT = 8;

export async function commitSilverRun(
  lake: Lake,
  commit: SilverCommit,
  hooks: CommitHooks = {},
): Promise<{ txnId: string; versions: Record<string, number> }> {
  const uploaded: TableChange['add'][number][] = new Array(commit.staged.length);
  let next = 0;
  let stopped = false;
  const uploader = async () => {
    while (!stopped && next < commit.staged.length) {
      const index = next++;
      const object = commit.staged[index]!;
      try {
        hooks.beforeUpload?.(index, commit.staged.length);
        // The next tasks (the load, the next silver run) read these: a remote lake keeps them in its mirror.
        const info = await lake.upload(object.key, object.path, { keepLocalCopy: true });
        uploaded[index] = {
          key: info.key,
          partitionValues: object.partitionValues,
          size: info.size,
          ...(object.numRecords !== undefined ? { numRecords: object.numRecords } : {}),
        };
      } catch (error) {
        // The others finish the upload they are in and take no more: nothing is left writing after a failure.
        stopped = true;
        throw error;
      }
    }
  };
  // A day touches hundreds of partitions: one request at a time would wait out S3's latency hundreds of times.
  const results = await Promise.allSettled(Array.from({ length: UPLOADS_IN_FLIGHT }, uploader));
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  const added = new Map<string, TableChange['add'][number][]>();
  for (const [index, object] of commit.staged.entries()) {
    const list = added.get(object.definition.table) ?? [];
    list.push(uploaded[index]!);
    added.set(object.definition.table, list);
  }
  const changes = commit.tables
    .map((definition) => ({
      definition,
      add: added.get(definition.table) ?? [],
      remove: commit.removed.get(definition.table) ?? [],
    }))
    .filter((change) => change.add.length > 0 || change.remove.length > 0);
  let entries = 0;
  return lake.commit(changes, {
    operation: 'MERGE',
    runId: commit.runId,
    onStep: (step) => {
      if (step.step === 'before-commit-point') hooks.beforeCommitPoint?.();
      else if (step.step === 'commit-point') hooks.afterCommitPoint?.();
      else if (step.step === 'entry-written') hooks.afterEntry?.(entries++, changes.length);
    },
  });
}
