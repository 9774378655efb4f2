/**
 * A two-task DAG for the SIGKILL tests: `prepare` counts its runs in a file; `work` (when told to hang) writes a
 * marker file and then waits forever, so the test kills its process mid-try.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { defineDag } from '../../../src/orchestrator/definitions/dag.ts';
import { defineTask } from '../../../src/orchestrator/definitions/task-definition.ts';

export function killableDag(options: { counterFile: string; markerFile: string; hang: boolean }) {
  const prepare = defineTask({
    name: 'prepare',
    run: async () => {
      appendFileSync(options.counterFile, 'prepare\n');
      return { partitions: ['2025-03-01', '2025-02-28'] };
    },
  });
  const work = defineTask({
    name: 'work',
    dependsOn: [prepare],
    retry: { retries: 1, retryDelay: 0 },
    run: async ({ upstream }, { events }) => {
      events.emit({ kind: 'notice', message: `working on ${upstream.prepare.partitions.join(', ')}` });
      if (options.hang) {
        writeFileSync(options.markerFile, String(process.pid));
        await new Promise(() => setInterval(() => undefined, 1000));
      }
      return { rewritten: upstream.prepare.partitions.length };
    },
  });
  return defineDag({ name: 'killable', tasks: [prepare, work] });
}

export function prepareRuns(counterFile: string): number {
  return readFileSync(counterFile, 'utf8').split('\n').filter(Boolean).length;
}
