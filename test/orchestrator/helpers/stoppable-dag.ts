/**
 * A DAG for the SIGTERM test: `prepare` is quick; `long` (when told to hang) writes a marker file and waits for
 * its abort signal, as a task that honours it does.
 */
import { writeFileSync } from 'node:fs';
import { defineDag } from '../../../src/orchestrator/definitions/dag.ts';
import { defineTask } from '../../../src/orchestrator/definitions/task-definition.ts';

export function stoppableDag(options: { markerFile: string; hang: boolean }) {
  const prepare = defineTask({ name: 'prepare', run: async () => ({ ready: true }) });
  const long = defineTask({
    name: 'long',
    dependsOn: [prepare],
    run: async (_input, { signal, events }) => {
      if (!options.hang) return { finished: true };
      writeFileSync(options.markerFile, String(process.pid));
      await new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => {
          events.emit({ kind: 'notice', message: `cleaning up: ${(signal.reason as Error).message}` });
          reject(signal.reason);
        }),
      );
    },
  });
  return defineDag({ name: 'daily', tasks: [prepare, long] });
}
