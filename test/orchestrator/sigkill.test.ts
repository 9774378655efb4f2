import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/core/dates.ts';
import { acquireLease, WRITER_LEASE } from '../../src/orchestrator/execution/lease.ts';
import { runDag } from '../../src/orchestrator/execution/run-dag.ts';
import { exited, spawnHelper, waitForFile } from './helpers/child-process.ts';
import { type ControlPlaneFixture, controlPlaneFixture, logEvents } from './helpers/control-plane-fixture.ts';
import { killableDag, prepareRuns } from './helpers/killable-dag.ts';

let fixture: ControlPlaneFixture;
afterEach(async () => {
  await fixture?.store.close();
});

describe('a process killed with SIGKILL mid-try', () => {
  it('leaves a try the next process recognises as dead, marks killed and retries, reusing what succeeded', async () => {
    fixture = controlPlaneFixture();
    const counterFile = join(fixture.home, 'prepare-runs');
    const markerFile = join(fixture.home, 'working');
    const child = spawnHelper('./killable-run.ts', [
      fixture.statePath,
      fixture.logsDir,
      counterFile,
      markerFile,
    ]);
    await waitForFile(markerFile, child);
    const pid = Number(readFileSync(markerFile, 'utf8'));
    child.kill('SIGKILL');
    expect((await exited(child)).signal).toBe('SIGKILL');

    // What the killed process left: a running run and try, its lease, and the log lines it wrote.
    const [left] = await fixture.store.listRuns({ dag: 'killable' });
    expect(left).toMatchObject({ state: 'running', process: { pid, host: hostname() } });
    const [killedTry] = await fixture.store.tries(left!.runId, 'work');
    expect(killedTry).toMatchObject({ state: 'running', tryNumber: 1 });
    expect((await fixture.store.getLease(WRITER_LEASE))?.holder.pid).toBe(pid);

    const lease = await acquireLease({ store: fixture.store, name: WRITER_LEASE });
    const result = await runDag({
      dag: killableDag({ counterFile, markerFile, hang: false }),
      store: fixture.store,
      logicalDate: '2025-03-01' as IsoDate,
      logsDir: fixture.logsDir,
      clock: fixture.clock,
    });
    await lease.release();

    expect(result).toMatchObject({ outcome: 'success', runId: left!.runId, resumed: true });
    expect(result.tasks.find((task) => task.task === 'work')?.output).toEqual({ rewritten: 2 });
    expect(prepareRuns(counterFile)).toBe(1);
    const tries = await fixture.store.tries(left!.runId, 'work');
    expect(tries.map((t) => [t.tryNumber, t.state, t.failureKind])).toEqual([
      [1, 'failed', 'killed'],
      [2, 'success', undefined],
    ]);
    expect(tries[0]!.error).toBe(
      `killed: process ${pid} on ${hostname()} is no longer running before try 1 of work finished`,
    );
    const killedLog = await logEvents(killedTry!.logPath);
    expect(killedLog.map((event) => event.kind)).toEqual(['task-started', 'notice', 'try-marked-killed']);
    expect(killedLog[1]).toMatchObject({ message: 'working on 2025-03-01, 2025-02-28' });
    const runLog = await logEvents(join(fixture.logsDir, left!.runId, 'run.log'));
    expect(runLog.map((event) => [event.kind, event['pid']])).toEqual([
      ['run-started', pid],
      ['run-started', process.pid],
      ['run-finished', undefined],
    ]);
  });
});
