import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clockFromEnvironment } from '../../src/orchestrator/execution/clock.ts';
import { runWithWriterLease } from '../../src/orchestrator/execution/run-with-lease.ts';
import { runScheduler } from '../../src/orchestrator/scheduler/run-scheduler.ts';
import { exited, spawnHelper, waitForFile } from './helpers/child-process.ts';
import { type ControlPlaneFixture, controlPlaneFixture, logEvents } from './helpers/control-plane-fixture.ts';
import { NOW, SCHEDULE } from './helpers/scheduler-spec.ts';
import { stoppableDag } from './helpers/stoppable-dag.ts';

let fixture: ControlPlaneFixture;
afterEach(async () => {
  await fixture?.store.close();
});

describe('scheduler and SIGTERM', () => {
  it('abandons the running try cleanly, releases its leases, and the next scheduler resumes the date', async () => {
    fixture = controlPlaneFixture();
    const markerFile = join(fixture.home, 'long-started');
    const child = spawnHelper('./scheduler-child.ts', [fixture.statePath, fixture.logsDir, markerFile], {
      FINTECH_ETL_NOW: NOW,
    });
    await waitForFile(markerFile, child);
    child.kill('SIGTERM');
    const exit = await exited(child);
    expect(exit, child.output()).toEqual({ code: 0, signal: null });
    expect(JSON.parse(child.output().trim().split('\n').pop()!)).toEqual({
      ran: [{ date: '2025-03-01', outcome: 'stopped' }],
    });

    const [run] = await fixture.store.listRuns({ dag: 'daily' });
    expect(run).toMatchObject({
      logicalDate: '2025-03-01',
      state: 'failed',
      failureKind: 'stopped',
      error: 'stopped during task long (SIGTERM); the next run resumes it',
    });
    const [attempt] = await fixture.store.tries(run!.runId, 'long');
    expect(attempt).toMatchObject({ state: 'failed', failureKind: 'abandoned' });
    expect((await logEvents(attempt!.logPath)).map((event) => event.kind)).toEqual([
      'task-started',
      'notice',
      'task-finished',
    ]);
    expect(await fixture.store.getLease('scheduler')).toBeUndefined();
    expect(await fixture.store.getLease('writer')).toBeUndefined();

    const clock = clockFromEnvironment({ FINTECH_ETL_NOW: NOW });
    const dag = stoppableDag({ markerFile, hang: false });
    const options = {
      spec: SCHEDULE,
      store: fixture.store,
      dag: 'daily',
      clock,
      once: true,
      runDate: async (
        date: Parameters<typeof runWithWriterLease>[0]['logicalDate'],
        stopSignal: AbortSignal,
      ) => {
        const result = await runWithWriterLease({
          dag,
          store: fixture.store,
          logicalDate: date,
          logsDir: fixture.logsDir,
          stopSignal,
          clock,
        });
        return `${result.outcome} ${result.runId}`;
      },
    };
    expect((await runScheduler(options)).ran).toEqual([
      { date: '2025-03-01', outcome: `success ${run!.runId}` },
    ]);
    expect((await fixture.store.tries(run!.runId, 'long')).map((t) => t.state)).toEqual([
      'failed',
      'success',
    ]);
    expect((await runScheduler(options)).ran).toEqual([]);
  });
});
