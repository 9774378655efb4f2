/** Child process of the SIGTERM test: `scheduler --once` whose due date hangs until SIGTERM stops it. */

import { clockFromEnvironment } from '../../../src/orchestrator/execution/clock.ts';
import { runWithWriterLease } from '../../../src/orchestrator/execution/run-with-lease.ts';
import { stopOnSignals } from '../../../src/orchestrator/execution/stop-signal.ts';
import { runScheduler } from '../../../src/orchestrator/scheduler/run-scheduler.ts';
import { SqliteStateStore } from '../../../src/orchestrator/state/sqlite/sqlite-state-store.ts';
import { SCHEDULE } from './scheduler-spec.ts';
import { stoppableDag } from './stoppable-dag.ts';

const [statePath, logsDir, markerFile] = process.argv.slice(2) as [string, string, string];
const store = new SqliteStateStore(statePath);
const stop = stopOnSignals();
const clock = clockFromEnvironment();
const dag = stoppableDag({ markerFile, hang: true });
const report = await runScheduler({
  spec: SCHEDULE,
  store,
  dag: dag.name,
  clock,
  once: true,
  stopSignal: stop.signal,
  runDate: async (date, stopSignal) =>
    (
      await runWithWriterLease({
        dag,
        store,
        logicalDate: date,
        logsDir,
        stopSignal,
        stopGraceMs: 300,
        clock,
      })
    ).outcome,
});
await store.close();
console.log(JSON.stringify(report));
