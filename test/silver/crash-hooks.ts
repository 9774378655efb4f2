/** Commit hooks that make a silver run die at a chosen point of its commit, to prove recovery. */
import type { CommitHooks } from '../../src/silver/commit-journal.ts';

export type CrashPoint = 'before-commit' | 'after-commit' | 'mid-apply';

export class InjectedCrash extends Error {
  override name = 'InjectedCrash';
}

export function crashAt(point: CrashPoint): CommitHooks {
  switch (point) {
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
        beforeStep: (index, total) => {
          if (index === Math.ceil(total / 2)) {
            throw new InjectedCrash('injected crash while applying the silver commit journal');
          }
        },
      };
  }
}
