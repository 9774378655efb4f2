/**
 * The behaviour every {@link StateStore} promises, run by each implementation's test file (SQLite, PostgreSQL).
 * Tests share one store per suite and keep apart by DAG, lease and date names.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IsoDate } from '../../core/dates.ts';
import { type NewRun, type ProcessIdentity, StateConflictError, type StateStore } from './state-store.ts';

export interface StateStoreTarget {
  open(): Promise<StateStore>;
  cleanup?(): Promise<void>;
}

const ME: ProcessIdentity = { pid: 4242, host: 'etl-1', command: 'fintech-etl run --date 2025-03-01' };
const T0 = new Date('2025-03-02T06:00:00.123Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const unique = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;

function newRun(dag: string, logicalDate: string, overrides: Partial<NewRun> = {}): NewRun {
  return {
    runId: unique(`run-${logicalDate}`),
    dag,
    logicalDate: logicalDate as IsoDate,
    state: 'running',
    trigger: 'manual',
    conf: { full_refresh: false, note: 'café ☕', nested: { list: [1, 2.5, null, 'x'] } },
    startedAt: T0,
    process: ME,
    ...overrides,
  };
}

export function stateStoreContract(name: string, target: () => Promise<StateStoreTarget | undefined>): void {
  describe(`StateStore contract: ${name}`, () => {
    let store: StateStore;
    let context: StateStoreTarget | undefined;

    beforeAll(async () => {
      context = await target();
      if (context) store = await context.open();
    });
    afterAll(async () => {
      await store?.close();
      await context?.cleanup?.();
    });

    const run = (title: string, fn: () => Promise<void>) =>
      it(title, async (test) => {
        if (!context) test.skip();
        await fn();
      });

    run('applies its versioned migrations once, also when opened again', async () => {
      expect(await store.schemaVersion()).toBe(2);
      const again = await context!.open();
      expect(await again.schemaVersion()).toBe(2);
      await again.close();
    });

    run('records a run when it starts, with its conf and facts, and reads it back exactly', async () => {
      const dag = unique('dag');
      const created = await store.createRun(
        newRun(dag, '2025-03-01', {
          facts: {
            asOfDate: '2025-03-04' as IsoDate,
            bronzeFingerprints: { transactions: 'sha256:aa', customers: 'sha256:bb' },
            projectFingerprint: { hash: 'p1', models: { fact: 'm1', mart: 'm2' } },
          },
        }),
      );
      expect(created).toEqual({
        runId: created.runId,
        dag,
        logicalDate: '2025-03-01',
        state: 'running',
        trigger: 'manual',
        conf: { full_refresh: false, note: 'café ☕', nested: { list: [1, 2.5, null, 'x'] } },
        startedAt: T0,
        heartbeatAt: T0,
        process: ME,
        asOfDate: '2025-03-04',
        bronzeFingerprints: { transactions: 'sha256:aa', customers: 'sha256:bb' },
        projectFingerprint: { hash: 'p1', models: { fact: 'm1', mart: 'm2' } },
      });
      expect(await store.getRun(created.runId)).toEqual(created);
      expect(await store.getRun('no-such-run')).toBeUndefined();
    });

    run('refuses a second unfinished run of the same date, and allows one after it finished', async () => {
      const dag = unique('dag');
      const first = await store.createRun(newRun(dag, '2025-03-01'));
      const error = await store.createRun(newRun(dag, '2025-03-01', { state: 'queued' })).catch((e) => e);
      expect(error).toBeInstanceOf(StateConflictError);
      expect(error.message).toMatch(
        new RegExp(`another process already started a run of ${dag} for 2025-03-01`),
      );
      await store.createRun(newRun(dag, '2025-03-02'));

      await store.updateRun(first.runId, {
        state: 'failed',
        failureKind: 'task',
        error: 'load failed',
        finishedAt: at(60),
      });
      const second = await store.createRun(newRun(dag, '2025-03-01', { startedAt: at(120) }));
      expect((await store.latestRun(dag, '2025-03-01' as IsoDate))?.runId).toBe(second.runId);
      // Reopening the failed run while another is unfinished is refused as well.
      const reopen = await store.updateRun(first.runId, { state: 'running' }).catch((e) => e);
      expect(reopen).toBeInstanceOf(StateConflictError);
    });

    run('updates a run and clears fields with null', async () => {
      const dag = unique('dag');
      const created = await store.createRun(newRun(dag, '2025-03-01'));
      await store.updateRun(created.runId, {
        state: 'failed',
        failureKind: 'killed',
        error: 'the process died',
        finishedAt: at(30),
      });
      const other: ProcessIdentity = { pid: 99, host: 'etl-2', command: 'fintech-etl run --date 2025-03-01' };
      await store.updateRun(created.runId, {
        state: 'running',
        failureKind: null,
        error: null,
        finishedAt: null,
        heartbeatAt: at(45),
        process: other,
        facts: { projectFingerprint: { hash: 'p2', models: {} } },
        conf: { accept_quality_failures: true },
      });
      const updated = await store.getRun(created.runId);
      expect(updated).toMatchObject({
        state: 'running',
        heartbeatAt: at(45),
        process: other,
        conf: { accept_quality_failures: true },
      });
      expect(updated?.projectFingerprint).toEqual({ hash: 'p2', models: {} });
      expect(updated).not.toHaveProperty('error');
      expect(updated).not.toHaveProperty('failureKind');
      expect(updated).not.toHaveProperty('finishedAt');
    });

    run('lists runs newest first, filtered by DAG, date range, state and limit', async () => {
      const dag = unique('dag');
      const ids: string[] = [];
      for (const [index, date] of ['2025-03-01', '2025-03-02', '2025-03-03', '2025-03-04'].entries()) {
        const created = await store.createRun(newRun(dag, date, { startedAt: at(index * 10) }));
        ids.push(created.runId);
        await store.updateRun(created.runId, {
          state: index === 2 ? 'failed' : 'success',
          finishedAt: at(index * 10 + 5),
        });
      }
      await store.createRun(newRun(unique('other'), '2025-03-02'));
      expect((await store.listRuns({ dag })).map((r) => r.runId)).toEqual([...ids].reverse());
      expect(
        (await store.listRuns({ dag, from: '2025-03-02' as IsoDate, to: '2025-03-03' as IsoDate })).map(
          (r) => r.logicalDate,
        ),
      ).toEqual(['2025-03-03', '2025-03-02']);
      expect((await store.listRuns({ dag, states: ['failed'] })).map((r) => r.runId)).toEqual([ids[2]]);
      expect(
        (await store.listRuns({ dag, logicalDate: '2025-03-04' as IsoDate })).map((r) => r.runId),
      ).toEqual([ids[3]]);
      expect((await store.listRuns({ dag, limit: 2 })).map((r) => r.runId)).toEqual([ids[3], ids[2]]);
    });

    run('records tries when they start, and their outcome with the output when they end', async () => {
      const dag = unique('dag');
      const { runId } = await store.createRun(newRun(dag, '2025-03-01'));
      const logPath = (n: number) => `/home/logs/${runId}/load/try-${n}.log`;
      await store.startTry({
        runId,
        task: 'load',
        tryNumber: 1,
        startedAt: at(1),
        process: ME,
        logPath: logPath(1),
      });
      expect(await store.taskInstances(runId)).toEqual([
        { runId, task: 'load', state: 'running', tryNumber: 1, updatedAt: at(1) },
      ]);
      const duplicate = await store
        .startTry({ runId, task: 'load', tryNumber: 1, startedAt: at(2), process: ME, logPath: logPath(1) })
        .catch((e) => e);
      expect(duplicate).toBeInstanceOf(StateConflictError);
      expect(duplicate.message).toMatch(/try 1 of task load .* was already started by another process/);

      await store.heartbeatTry(runId, 'load', 1, at(5));
      await store.finishTry(runId, 'load', 1, {
        state: 'failed',
        error: 'connection refused',
        failureKind: 'error',
        finishedAt: at(6),
      });
      await store.heartbeatTry(runId, 'load', 1, at(9));
      await store.startTry({
        runId,
        task: 'load',
        tryNumber: 2,
        startedAt: at(10),
        process: ME,
        logPath: logPath(2),
      });
      const output = {
        rows: 1_000_000,
        tables: ['staging.a', 'staging.b'],
        amount: '12.50',
        empty: null,
        ok: true,
      };
      await store.finishTry(runId, 'load', 2, { state: 'success', output, finishedAt: at(12) });

      expect(await store.tries(runId, 'load')).toEqual([
        {
          runId,
          task: 'load',
          tryNumber: 1,
          state: 'failed',
          failureKind: 'error',
          error: 'connection refused',
          startedAt: at(1),
          finishedAt: at(6),
          heartbeatAt: at(5),
          process: ME,
          logPath: logPath(1),
        },
        {
          runId,
          task: 'load',
          tryNumber: 2,
          state: 'success',
          startedAt: at(10),
          finishedAt: at(12),
          heartbeatAt: at(10),
          process: ME,
          logPath: logPath(2),
        },
      ]);
      expect(await store.taskInstances(runId)).toEqual([
        { runId, task: 'load', state: 'success', tryNumber: 2, output, updatedAt: at(12) },
      ]);
    });

    run('keeps a null output apart from no output, and records states reached without a try', async () => {
      const dag = unique('dag');
      const previous = await store.createRun(newRun(dag, '2025-03-01'));
      await store.updateRun(previous.runId, { state: 'success', finishedAt: at(1) });
      const { runId } = await store.createRun(newRun(dag, '2025-03-01', { startedAt: at(2) }));
      await store.startTry({
        runId,
        task: 'a',
        tryNumber: 1,
        startedAt: at(3),
        process: ME,
        logPath: '/l/a',
      });
      await store.finishTry(runId, 'a', 1, { state: 'success', output: null, finishedAt: at(4) });
      await store.setTaskInstance(
        runId,
        'b',
        { state: 'success', output: { n: 1 }, reusedFromRun: previous.runId },
        at(4),
      );
      await store.setTaskInstance(runId, 'c', { state: 'upstream_failed' }, at(5));
      await store.setTaskInstance(runId, 'd', { state: 'skipped' }, at(6));
      expect(await store.taskInstances([runId, previous.runId])).toEqual([
        { runId, task: 'a', state: 'success', tryNumber: 1, output: null, updatedAt: at(4) },
        {
          runId,
          task: 'b',
          state: 'success',
          tryNumber: 0,
          output: { n: 1 },
          reusedFromRun: previous.runId,
          updatedAt: at(4),
        },
        { runId, task: 'c', state: 'upstream_failed', tryNumber: 0, updatedAt: at(5) },
        { runId, task: 'd', state: 'skipped', tryNumber: 0, updatedAt: at(6) },
      ]);
      expect(await store.taskInstances([])).toEqual([]);
      // A later try of a task that was upstream_failed becomes its latest.
      await store.startTry({
        runId,
        task: 'c',
        tryNumber: 1,
        startedAt: at(7),
        process: ME,
        logPath: '/l/c',
      });
      expect((await store.taskInstances(runId)).find((i) => i.task === 'c')).toMatchObject({
        state: 'running',
        tryNumber: 1,
      });
    });

    run('starts a queued try once: a job delivered twice, or a stale one, is refused', async () => {
      const dag = unique('dag');
      const { runId } = await store.createRun(newRun(dag, '2025-03-01'));
      const worker = (pid: number): ProcessIdentity => ({
        pid,
        host: 'worker-1',
        command: 'fintech-etl worker',
      });
      const start = (tryNumber: number, pid: number, task = 'silver') =>
        store.startQueuedTry({
          runId,
          task,
          tryNumber,
          startedAt: at(2),
          process: worker(pid),
          logPath: `/w/${task}/try-${tryNumber}.log`,
        });
      await store.queueTask(runId, 'silver', 1, at(1));
      expect(await store.taskInstances(runId)).toEqual([
        { runId, task: 'silver', state: 'queued', tryNumber: 1, updatedAt: at(1) },
      ]);
      expect(await store.tries(runId)).toEqual([]);

      const deliveries = await Promise.allSettled([start(1, 101), start(1, 102), start(1, 103)]);
      expect(deliveries.filter((d) => d.status === 'fulfilled')).toHaveLength(1);
      const refused = deliveries.flatMap((d) => (d.status === 'rejected' ? [d.reason] : []));
      expect(refused).toHaveLength(2);
      for (const error of refused) {
        expect(error).toBeInstanceOf(StateConflictError);
        expect(error.message).toBe(
          `try 1 of task silver in run ${runId} is no longer queued: the task is running at try 1 ` +
            '(a job delivered twice, or one of an earlier try)',
        );
      }
      const [started] = await store.tries(runId);
      expect(started).toMatchObject({ tryNumber: 1, state: 'running', process: { host: 'worker-1' } });
      expect((await store.runningTries()).filter((t) => t.runId === runId)).toEqual([started]);

      await store.finishTry(runId, 'silver', 1, {
        state: 'failed',
        error: 'killed: process 101 on worker-1 is no longer running before try 1 of silver finished',
        failureKind: 'killed',
        finishedAt: at(3),
      });
      expect((await store.runningTries()).filter((t) => t.runId === runId)).toEqual([]);
      await store.queueTask(runId, 'silver', 2, at(4));
      await expect(start(1, 104)).rejects.toThrow('the task is queued at try 2');
      await expect(start(3, 104)).rejects.toThrow('the task is queued at try 2');
      await expect(start(1, 104, 'gold')).rejects.toThrow(
        `try 1 of task gold in run ${runId} was never queued (the run has no such task instance)`,
      );
      await start(2, 105);
      await store.finishTry(runId, 'silver', 2, {
        state: 'failed',
        error: 'task silver returned an output that is not JSON: output.at is a Date',
        failureKind: 'error',
        finishedAt: at(5),
        retryable: false,
      });
      const tries = await store.tries(runId, 'silver');
      expect(tries.map((t) => [t.tryNumber, t.state, t.failureKind, t.retryable, t.process.pid])).toEqual([
        [1, 'failed', 'killed', undefined, expect.any(Number)],
        [2, 'failed', 'error', false, 105],
      ]);
      expect(await store.taskInstances(runId)).toEqual([
        { runId, task: 'silver', state: 'failed', tryNumber: 2, updatedAt: at(5) },
      ]);
    });

    run('keeps the end of a try once recorded: a late end from elsewhere writes nothing', async () => {
      const { runId } = await store.createRun(newRun(unique('dag'), '2025-03-01'));
      const start = (tryNumber: number, pid: number) =>
        store.startTry({
          runId,
          task: 'silver_check_1',
          tryNumber,
          startedAt: at(tryNumber),
          process: { ...ME, pid, host: 'worker-1' },
          logPath: `/l/${tryNumber}`,
        });
      const killed = {
        state: 'failed' as const,
        error: 'killed: process 101 on worker-1 has sent no heartbeat for 6 s before try 1 finished',
        failureKind: 'killed' as const,
        finishedAt: at(8),
      };
      const summary = async () =>
        (await store.tries(runId)).map((t) => [t.tryNumber, t.state, t.failureKind, t.retryable, t.error]);

      // The driver records try 1 killed; its worker, cut off meanwhile, comes back and ends it.
      await start(1, 101);
      expect(await store.finishTry(runId, 'silver_check_1', 1, killed)).toBe(true);
      expect(
        await store.finishTry(runId, 'silver_check_1', 1, {
          state: 'success',
          output: { batchKey: 'late' },
          finishedAt: at(20),
        }),
      ).toBe(false);
      expect(
        await store.finishTry(runId, 'silver_check_1', 1, {
          state: 'failed',
          error: 'connect EHOSTUNREACH',
          failureKind: 'error',
          finishedAt: at(20),
        }),
      ).toBe(false);
      expect(await summary()).toEqual([[1, 'failed', 'killed', undefined, killed.error]]);
      expect(await store.taskInstances(runId)).toEqual([
        { runId, task: 'silver_check_1', state: 'failed', tryNumber: 1, updatedAt: at(8) },
      ]);

      // Its own process records its failure again, not retryable (it did not stop after its timeout).
      await start(2, 102);
      const timedOut = {
        state: 'failed' as const,
        error: 'timed out',
        failureKind: 'timeout' as const,
        finishedAt: at(30),
      };
      expect(await store.finishTry(runId, 'silver_check_1', 2, timedOut)).toBe(true);
      expect(await store.finishTry(runId, 'silver_check_1', 2, { ...timedOut, retryable: false })).toBe(true);
      // A dead-try check that read it running just before it ended writes nothing over it.
      expect(await store.finishTry(runId, 'silver_check_1', 2, { ...killed, finishedAt: at(31) })).toBe(
        false,
      );
      await start(3, 103);
      expect(
        await store.finishTry(runId, 'silver_check_1', 3, {
          state: 'success',
          output: 1,
          finishedAt: at(40),
        }),
      ).toBe(true);
      expect(await store.finishTry(runId, 'silver_check_1', 3, { ...killed, finishedAt: at(41) })).toBe(
        false,
      );
      expect(await summary()).toEqual([
        [1, 'failed', 'killed', undefined, killed.error],
        [2, 'failed', 'timeout', false, 'timed out'],
        [3, 'success', undefined, undefined, undefined],
      ]);
      expect(await store.taskInstances(runId)).toEqual([
        { runId, task: 'silver_check_1', state: 'success', tryNumber: 3, output: 1, updatedAt: at(40) },
      ]);
    });

    run('records worker processes, their heartbeats and states; stopped ones only when asked', async () => {
      const queue = unique('queue');
      const first = {
        workerId: unique('w'),
        process: { pid: 11, host: 'etl-2', command: 'fintech-etl worker --concurrency 2' },
        queue,
        tasks: ['daily_batch_etl.silver', 'daily_batch_etl.load'],
        concurrency: 2,
        startedAt: at(1),
      };
      const second = {
        ...first,
        workerId: unique('w'),
        process: { ...first.process, pid: 12 },
        startedAt: at(2),
      };
      await store.registerWorker(first);
      await store.registerWorker(second);
      await store.updateWorker(first.workerId, { heartbeatAt: at(10) });
      await store.updateWorker(second.workerId, { heartbeatAt: at(11), state: 'draining' });
      const mine = async (includeStopped?: boolean) =>
        (await store.listWorkers(includeStopped ? { includeStopped } : {})).filter((w) => w.queue === queue);
      expect(await mine()).toEqual([
        { ...second, state: 'draining', heartbeatAt: at(11) },
        { ...first, state: 'running', heartbeatAt: at(10) },
      ]);
      await store.updateWorker(second.workerId, { heartbeatAt: at(12), state: 'stopped' });
      expect((await mine()).map((w) => w.workerId)).toEqual([first.workerId]);
      expect(await mine(true)).toEqual([
        { ...second, state: 'stopped', heartbeatAt: at(12), stoppedAt: at(12) },
        { ...first, state: 'running', heartbeatAt: at(10) },
      ]);
    });

    run('gives a lease to one holder at a time, renews and releases it by token only', async () => {
      const name = unique('lease');
      const other: ProcessIdentity = { pid: 7, host: 'etl-2', command: 'fintech-etl backfill' };
      const first = await store.acquireLease({ name, token: 'tok-1', holder: ME, now: T0, ttlMs: 60_000 });
      expect(first).toEqual({
        acquired: true,
        lease: { name, token: 'tok-1', holder: ME, acquiredAt: T0, renewedAt: T0, expiresAt: at(60) },
      });
      const refused = await store.acquireLease({
        name,
        token: 'tok-2',
        holder: other,
        now: at(30),
        ttlMs: 60_000,
      });
      expect(refused).toEqual({ acquired: false, current: first.acquired && first.lease });

      expect(await store.renewLease(name, 'tok-2', at(40), 60_000)).toBeUndefined();
      expect(await store.renewLease(name, 'tok-1', at(40), 60_000)).toMatchObject({
        renewedAt: at(40),
        expiresAt: at(100),
      });
      expect(
        (await store.acquireLease({ name, token: 'tok-2', holder: other, now: at(90), ttlMs: 60_000 }))
          .acquired,
      ).toBe(false);

      // Expired: anyone may take it, and the old holder's renewals then fail.
      const taken = await store.acquireLease({
        name,
        token: 'tok-2',
        holder: other,
        now: at(100),
        ttlMs: 60_000,
      });
      expect(taken).toMatchObject({
        acquired: true,
        lease: { token: 'tok-2', holder: other, acquiredAt: at(100) },
      });
      expect(await store.renewLease(name, 'tok-1', at(101), 60_000)).toBeUndefined();

      // Taken over from a holder known dead, before expiry.
      const takeover = await store.acquireLease({
        name,
        token: 'tok-3',
        holder: ME,
        now: at(110),
        ttlMs: 60_000,
        replaceToken: 'tok-2',
      });
      expect(takeover.acquired).toBe(true);
      await store.releaseLease(name, 'tok-2');
      expect((await store.getLease(name))?.token).toBe('tok-3');
      await store.releaseLease(name, 'tok-3');
      expect(await store.getLease(name)).toBeUndefined();
    });

    run('lets exactly one of many simultaneous claimants take a free lease', async () => {
      const name = unique('lease');
      const attempts = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          store.acquireLease({
            name,
            token: `t${i}`,
            holder: { ...ME, pid: 1000 + i },
            now: T0,
            ttlMs: 60_000,
          }),
        ),
      );
      const winners = attempts.filter((attempt) => attempt.acquired);
      expect(winners).toHaveLength(1);
      const holder = winners[0]!.acquired && winners[0]!.lease.token;
      for (const attempt of attempts) {
        if (!attempt.acquired) expect(attempt.current.token).toBe(holder);
      }
    });

    run(
      'numbers silver commits, records the marts built from them, and reports each date freshness',
      async () => {
        const dag = unique('dag');
        const day1 = await store.createRun(newRun(dag, '2031-01-01'));
        const day2 = await store.createRun(newRun(dag, '2031-01-02'));
        const c1 = await store.recordSilverWrites(
          day1.runId,
          [
            { dataset: 'transactions', partitionDate: '2031-01-01' as IsoDate },
            { dataset: 'customers', partitionDate: '2031-01-01' as IsoDate },
          ],
          at(1),
        );
        expect(
          await store.recordMartsBuilt(day1.runId, ['2031-01-01' as IsoDate], at(2)),
        ).toBeGreaterThanOrEqual(c1);
        expect((await store.getRun(day1.runId))?.silverCommit).toBeGreaterThanOrEqual(c1);
        // Day 2 brings late data for day 1, and its marts are not built yet.
        const c2 = await store.recordSilverWrites(
          day2.runId,
          [
            { dataset: 'transactions', partitionDate: '2031-01-01' as IsoDate },
            { dataset: 'transactions', partitionDate: '2031-01-02' as IsoDate },
          ],
          at(3),
        );
        expect(c2).toBeGreaterThan(c1);
        expect(await store.recordSilverWrites(day2.runId, [], at(3))).toBeGreaterThanOrEqual(c2);

        const freshness = await store.partitionFreshness('2031-01-01' as IsoDate, '2031-01-31' as IsoDate);
        expect(freshness).toEqual([
          {
            partitionDate: '2031-01-01',
            lastWrite: { commit: c2, runId: day2.runId, dataset: 'transactions' },
            lastBuild: { silverCommit: expect.any(Number), runId: day1.runId },
          },
          {
            partitionDate: '2031-01-02',
            lastWrite: { commit: c2, runId: day2.runId, dataset: 'transactions' },
          },
        ]);
        expect(freshness[0]!.lastBuild!.silverCommit).toBeLessThan(c2);

        await store.recordMartsBuilt(day2.runId, ['2031-01-01' as IsoDate, '2031-01-02' as IsoDate], at(4));
        const after = await store.partitionFreshness('2031-01-01' as IsoDate, '2031-01-02' as IsoDate);
        expect(
          after.map((entry) => [
            entry.partitionDate,
            entry.lastBuild?.runId,
            entry.lastBuild!.silverCommit >= c2,
          ]),
        ).toEqual([
          ['2031-01-01', day2.runId, true],
          ['2031-01-02', day2.runId, true],
        ]);

        const writes = await store.silverWrites({ runIds: [day2.runId] });
        expect(writes.map((w) => [w.commit, w.dataset, w.partitionDate, w.writtenAt])).toEqual([
          [c2, 'transactions', '2031-01-01', at(3)],
          [c2, 'transactions', '2031-01-02', at(3)],
        ]);
        expect(
          (await store.silverWrites({ from: '2031-01-02' as IsoDate, to: '2031-01-02' as IsoDate })).length,
        ).toBe(1);
        expect(await store.silverWrites({ runIds: [] })).toEqual([]);
      },
    );
  });
}
