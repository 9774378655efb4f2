/**
 * Makes a silver run's writes all-or-nothing with a redo journal. A run stages every new file under
 * `_staging/silver/<run>/`, then writes `_journal.json` (one atomic rename: the commit point), then applies
 * the journal's steps: `rename()`s of new files into their partitions (a rewritten partition's base file over
 * `data.parquet`, atomic on POSIX) and deletes of the files a rewrite merged. A crash before the commit point
 * leaves only staging litter (removed by the next run); a crash after it is finished by the next run
 * (`recoverSilverCommits`), because every step of the journal can be applied again.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LakeLayout } from '../lake/lake-layout.ts';

export type JournalStep = { kind: 'move'; from: string; to: string } | { kind: 'delete'; path: string };

export interface CommitJournal {
  runId: string;
  steps: JournalStep[];
}

export const JOURNAL_FILE = '_journal.json';

/**
 * Called around the steps of a commit, in this order: before the journal is written, right after (the commit
 * point), and before each journal step is applied. Production passes none; crash tests throw from them to prove
 * that a run killed at any of these points leaves silver readable and a rerun completes
 * (test/silver/crash-hooks.ts).
 */
export interface CommitHooks {
  beforeCommitPoint?(): void;
  afterCommitPoint?(): void;
  beforeStep?(index: number, total: number): void;
}

export function silverStagingRoot(layout: LakeLayout): string {
  return join(layout.staging(), 'silver');
}

async function writeJournal(stageDir: string, journal: CommitJournal): Promise<void> {
  const temporary = join(stageDir, `${JOURNAL_FILE}.tmp`);
  await writeFile(temporary, JSON.stringify(journal, null, 2));
  await rename(temporary, join(stageDir, JOURNAL_FILE));
}

/**
 * Commits a staged run: writes its journal in `stageDir` (the commit point), applies it and removes the
 * staging folder.
 */
export async function commitJournal(
  stageDir: string,
  journal: CommitJournal,
  hooks: CommitHooks = {},
): Promise<void> {
  hooks.beforeCommitPoint?.();
  await writeJournal(stageDir, journal);
  hooks.afterCommitPoint?.();
  await applyJournal(journal, hooks);
  await rm(stageDir, { recursive: true, force: true });
}

/** Applies every step; safe to call again on a journal that was partly applied. */
export async function applyJournal(journal: CommitJournal, hooks: CommitHooks = {}): Promise<void> {
  for (const [index, step] of journal.steps.entries()) {
    hooks.beforeStep?.(index, journal.steps.length);
    if (step.kind === 'move') {
      // Already moved by an earlier, interrupted attempt: the target holds the new file.
      if (existsSync(step.from)) {
        await mkdir(dirname(step.to), { recursive: true });
        await rename(step.from, step.to);
      }
    } else {
      await rm(step.path, { force: true });
      await rmdir(dirname(step.path)).catch(() => undefined);
    }
  }
}

/**
 * Finishes committed runs and removes abandoned ones. Silver assumes one writer per lake at a time (the
 * orchestrator runs silver tasks one after the other), so anything left in silver staging is from a dead run.
 */
export async function recoverSilverCommits(layout: LakeLayout): Promise<string[]> {
  const root = silverStagingRoot(layout);
  if (!existsSync(root)) return [];
  const recovered: string[] = [];
  for (const entry of (await readdir(root)).sort()) {
    const stageDir = join(root, entry);
    const journalPath = join(stageDir, JOURNAL_FILE);
    if (existsSync(journalPath)) {
      const journal = JSON.parse(await readFile(journalPath, 'utf8')) as CommitJournal;
      await applyJournal(journal);
      recovered.push(journal.runId);
    }
    await rm(stageDir, { recursive: true, force: true });
  }
  return recovered;
}
