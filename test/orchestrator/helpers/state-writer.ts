/**
 * Child process of the two-process SQLite test: `rounds` times, takes the writer lease (waiting), bumps a
 * counter file with a read-modify-write that only mutual exclusion keeps exact, and records a run and a try.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { IsoDate } from '../../../src/core/dates.ts';
import { acquireLease, WRITER_LEASE } from '../../../src/orchestrator/execution/lease.ts';
import { currentProcess } from '../../../src/orchestrator/execution/process-identity.ts';
import { SqliteStateStore } from '../../../src/orchestrator/state/sqlite/sqlite-state-store.ts';

const [statePath, counterFile, name, rounds, goFile] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const store = new SqliteStateStore(statePath);
const me = currentProcess(`state-writer ${name}`);
// Both writers start together (tsx start-up takes a second), so their rounds really interleave.
console.log('ready');
while (!existsSync(goFile)) await new Promise((resolve) => setTimeout(resolve, 5));
for (let round = 0; round < Number(rounds); round++) {
  const lease = await acquireLease({ store, name: WRITER_LEASE, holder: me, waitSeconds: 60, pollMs: 2 });
  const count = Number(readFileSync(counterFile, 'utf8'));
  await new Promise((resolve) => setTimeout(resolve, 2));
  writeFileSync(counterFile, String(count + 1));
  const runId = `${name}-${round}`;
  const now = new Date();
  await store.createRun({
    runId,
    dag: 'shared',
    logicalDate: `2030-01-${String((round % 28) + 1).padStart(2, '0')}` as IsoDate,
    state: 'running',
    trigger: 'manual',
    conf: { writer: name },
    startedAt: now,
    process: me,
  });
  await store.startTry({ runId, task: 't', tryNumber: 1, startedAt: now, process: me, logPath: '/dev/null' });
  await store.finishTry(runId, 't', 1, { state: 'success', output: { round }, finishedAt: new Date() });
  await store.updateRun(runId, { state: 'success', finishedAt: new Date() });
  await store.recordSilverWrites(
    runId,
    [{ dataset: 'transactions', partitionDate: '2030-01-01' as IsoDate }],
    now,
  );
  await lease.release();
}
await store.close();
console.log(`done ${name}`);
