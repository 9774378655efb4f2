/** Child process of the SIGKILL test: takes the writer lease and runs the killable DAG until killed. */
import type { IsoDate } from '../../../src/core/dates.ts';
import { acquireLease, WRITER_LEASE } from '../../../src/orchestrator/execution/lease.ts';
import { runDag } from '../../../src/orchestrator/execution/run-dag.ts';
import { SqliteStateStore } from '../../../src/orchestrator/state/sqlite/sqlite-state-store.ts';
import { killableDag } from './killable-dag.ts';

const [statePath, logsDir, counterFile, markerFile] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
];
const store = new SqliteStateStore(statePath);
await acquireLease({ store, name: WRITER_LEASE });
await runDag({
  dag: killableDag({ counterFile, markerFile, hang: true }),
  store,
  logicalDate: '2025-03-01' as IsoDate,
  logsDir,
  heartbeatIntervalMs: 100,
});
