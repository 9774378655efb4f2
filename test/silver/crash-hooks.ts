/** Commit hooks that make a silver run die at a chosen point of its upload or commit, to prove recovery. */
import type { CommitHooks } from '../../src/silver/silver-commit.ts';

/**
 * during-upload: half of the run's objects are in the lake, none committed; before-commit: all uploaded, the
 * commit record not written; after-commit: the record written (committed), no table's log entry yet;
 * mid-apply: the record and some tables' log entries written.
 */
export type CrashPoint = 'during-upload' | 'before-commit' | 'after-commit' | 'mid-apply';
export const CRASH_POINTS: readonly CrashPoint[] = [
  'during-upload',
  'before-commit',
  'after-commit',
  'mid-apply',
];

/** Whether a crash at this point leaves the run committed (readers see it; the next writer finishes it). */
export function isCommitted(point: CrashPoint): boolean {
  return point === 'after-commit' || point === 'mid-apply';
}

export class InjectedCrash extends Error {
  override name = 'InjectedCrash';
}

export function crashAt(point: CrashPoint): CommitHooks {
  switch (point) {
    case 'during-upload':
      return {
        beforeUpload: (index, total) => {
          if (index === Math.ceil(total / 2))
            throw new InjectedCrash('injected crash while uploading silver');
        },
      };
    case 'before-commit':
      return {
        beforeCommitPoint: () => {
          throw new InjectedCrash('injected crash before the silver commit');
        },
      };
    case 'after-commit':
      return {
        afterCommitPoint: () => {
          throw new InjectedCrash('injected crash after the silver commit point');
        },
      };
    case 'mid-apply':
      return {
        afterEntry: (index, total) => {
          if (index === Math.floor(total / 2)) {
            throw new InjectedCrash('injected crash while writing the silver commit to the tables');
          }
        },
      };
  }
}
