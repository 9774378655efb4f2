import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ControlPlaneFixture,
  controlPlaneFixture,
  logEvents,
  logKinds,
} from '../../../test/orchestrator/helpers/control-plane-fixture.ts';
import type { IsoDate } from '../../core/dates.ts';
import { PipelineError, UsageError } from '../../core/errors.ts';
import { registerSecret } from '../../core/redact.ts';
import { defineDag } from '../definitions/dag.ts';
import { defineTask } from '../definitions/task-definition.ts';
import { TaskTimeoutError } from './abort-reasons.ts';
import { RunInProgressError } from './dead-tries.ts';
import { type RunDagOptions, runDag } from './run-dag.ts';

const DATE = '2025-03-01' as IsoDate;
let fixture: ControlPlaneFixture;
afterEach(async () => {
  await fixture?.store.close();
});

function options(dag: RunDagOptions['dag'], extra: Partial<RunDagOptions> = {}): RunDagOptions {
  return {
    dag,
    store: fixture.store,
    logicalDate: DATE,
    logsDir: fixture.logsDir,
    clock: fixture.clock,
    ...extra,
  };
}

/** extract → transform → publish, counting calls, with failures injected by the test. */
function chain(failures: { transform?: number; publish?: number } = {}) {
  const calls = { extract: 0, transform: 0, publish: 0 };
  const inputs: unknown[] = [];
  const extract = defineTask({
    name: 'extract',
    run: async ({ logicalDate }) => {
      calls.extract++;
      return {
        date: logicalDate,
        rows: 3,
        amounts: ['12.50', '0.01'],
        meta: { source: 'bronze', late: null },
      };
    },
  });
  const transform = defineTask({
    name: 'transform',
    dependsOn: [extract],
    retry: { retries: 0 },
    run: async (input) => {
      calls.transform++;
      inputs.push(input);
      if (calls.transform <= (failures.transform ?? 0))
        throw new Error(`warehouse refused connection #${calls.transform}`);
      return { doubled: input.upstream.extract.rows * 2 };
    },
  });
  const publish = defineTask({
    name: 'publish',
    dependsOn: [transform],
    run: async ({ upstream }) => {
      calls.publish++;
      if (calls.publish <= (failures.publish ?? 0)) throw new Error('gold export failed');
      return { published: upstream.transform.doubled };
    },
  });
  return { dag: defineDag({ name: 'etl', tasks: [extract, transform, publish] }), calls, inputs };
}

describe('runDag', () => {
  it('runs tasks in order, hands each the recorded outputs of its dependencies, and records everything', async () => {
    fixture = controlPlaneFixture();
    const { dag, calls, inputs } = chain();
    const result = await runDag(options(dag, { conf: { full_refresh: false } }));

    expect(result.outcome).toBe('success');
    expect(result.tasks.map((task) => [task.task, task.state, task.tryNumbers])).toEqual([
      ['extract', 'success', [1]],
      ['transform', 'success', [1]],
      ['publish', 'success', [1]],
    ]);
    expect(result.tasks[2]!.output).toEqual({ published: 6 });
    expect(calls).toEqual({ extract: 1, transform: 1, publish: 1 });
    expect(inputs[0]).toEqual({
      dag: 'etl',
      logicalDate: DATE,
      runId: result.runId,
      conf: { full_refresh: false },
      upstream: {
        extract: { date: DATE, rows: 3, amounts: ['12.50', '0.01'], meta: { source: 'bronze', late: null } },
      },
    });

    const run = await fixture.store.getRun(result.runId);
    expect(run).toMatchObject({
      state: 'success',
      logicalDate: DATE,
      trigger: 'manual',
      conf: { full_refresh: false },
    });
    expect(run?.finishedAt).toBeInstanceOf(Date);
    const instances = await fixture.store.taskInstances(result.runId);
    expect(instances.map((i) => [i.task, i.state, i.tryNumber])).toEqual([
      ['extract', 'success', 1],
      ['publish', 'success', 1],
      ['transform', 'success', 1],
    ]);
    const tries = await fixture.store.tries(result.runId, 'transform');
    expect(tries[0]!.logPath).toBe(join(fixture.logsDir, result.runId, 'transform', 'try-1.log'));
    expect(await logKinds(tries[0]!.logPath)).toEqual(['task-started', 'task-finished']);
    const finished = (await logEvents(tries[0]!.logPath))[1]!;
    expect(finished).toMatchObject({ task: 'transform', tryNumber: 1, status: 'success' });
    expect(await logKinds(join(fixture.logsDir, result.runId, 'run.log'))).toEqual([
      'run-started',
      'run-finished',
    ]);
  });

  it('retries a task that fails twice with the declared backoff; the state shows three tries and their logs', async () => {
    fixture = controlPlaneFixture();
    let calls = 0;
    const flaky = defineTask({
      name: 'load',
      retry: { retries: 3, retryDelay: 5, backoff: 'exponential', maxRetryDelay: 600 },
      run: async (_input, { events, tryNumber }) => {
        calls++;
        events.emit({ kind: 'notice', message: `attempt ${tryNumber}` });
        if (calls < 3) throw new Error(`database is starting up (attempt ${calls})`);
        return { rows: 10 };
      },
    });
    const result = await runDag(options(defineDag({ name: 'etl', tasks: [flaky] })));

    expect(result.outcome).toBe('success');
    expect(fixture.clock.sleeps).toEqual([5000, 10000]);
    const tries = await fixture.store.tries(result.runId, 'load');
    expect(tries.map((t) => [t.tryNumber, t.state, t.failureKind, t.error])).toEqual([
      [1, 'failed', 'error', 'database is starting up (attempt 1)'],
      [2, 'failed', 'error', 'database is starting up (attempt 2)'],
      [3, 'success', undefined, undefined],
    ]);
    for (const attempt of tries) expect(existsSync(attempt.logPath)).toBe(true);
    expect(await logKinds(tries[0]!.logPath)).toEqual([
      'task-started',
      'notice',
      'task-finished',
      'retry-scheduled',
    ]);
    const failedTry = await logEvents(tries[0]!.logPath);
    expect(failedTry[2]).toMatchObject({
      status: 'failed',
      error: 'database is starting up (attempt 1)',
      failureKind: 'error',
    });
    expect(failedTry[2]!['stack']).toMatch(/run-dag\.test\.ts/);
    expect(failedTry[3]).toMatchObject({ nextTry: 2, delaySeconds: 5 });
  });

  it('resumes a failed run from the failed task, reusing recorded outputs, also from a new process', async () => {
    fixture = controlPlaneFixture();
    const first = chain({ transform: 1 });
    const failed = await runDag(options(first.dag));
    expect(failed.outcome).toBe('failed');
    expect(failed.error).toBe('task transform failed: warehouse refused connection #1 (try 1)');
    expect(failed.tasks.map((task) => [task.task, task.state])).toEqual([
      ['extract', 'success'],
      ['transform', 'failed'],
      ['publish', 'upstream_failed'],
    ]);
    expect(await fixture.store.getRun(failed.runId)).toMatchObject({ state: 'failed', failureKind: 'task' });

    // A new process: a fresh store on the same file and fresh task code.
    await fixture.store.close();
    const { SqliteStateStore } = await import('../state/sqlite/sqlite-state-store.ts');
    fixture.store = new SqliteStateStore(fixture.statePath);
    const second = chain();
    const resumed = await runDag(options(second.dag));

    expect(resumed.outcome).toBe('success');
    expect(resumed.runId).toBe(failed.runId);
    expect(resumed.resumed).toBe(true);
    expect(second.calls).toEqual({ extract: 0, transform: 1, publish: 1 });
    expect((second.inputs[0] as { upstream: unknown }).upstream).toEqual({
      extract: { date: DATE, rows: 3, amounts: ['12.50', '0.01'], meta: { source: 'bronze', late: null } },
    });
    expect(resumed.tasks.map((task) => [task.task, task.state, task.reused, task.tryNumbers])).toEqual([
      ['extract', 'success', true, []],
      ['transform', 'success', false, [2]],
      ['publish', 'success', false, [1]],
    ]);
    const run = await fixture.store.getRun(failed.runId);
    expect(run).toMatchObject({ state: 'success' });
    expect(run).not.toHaveProperty('error');
  });

  it('does nothing for a date that succeeded, reruns every task with force, and from a task with fromTask', async () => {
    fixture = controlPlaneFixture();
    const { dag, calls } = chain();
    const first = await runDag(options(dag));
    const again = await runDag(options(dag));
    expect(again).toMatchObject({ outcome: 'already-succeeded', runId: first.runId });
    expect(calls).toEqual({ extract: 1, transform: 1, publish: 1 });

    const forced = await runDag(options(dag, { force: true }));
    expect(forced.outcome).toBe('success');
    expect(forced.runId).not.toBe(first.runId);
    expect(calls).toEqual({ extract: 2, transform: 2, publish: 2 });

    const fromTransform = await runDag(options(dag, { fromTask: 'transform' }));
    expect(calls).toEqual({ extract: 2, transform: 3, publish: 3 });
    const instances = await fixture.store.taskInstances(fromTransform.runId);
    expect(instances.find((i) => i.task === 'extract')).toMatchObject({
      state: 'success',
      tryNumber: 0,
      reusedFromRun: forced.runId,
    });
    expect((await fixture.store.listRuns({ dag: 'etl' })).map((run) => run.state)).toEqual([
      'success',
      'success',
      'success',
    ]);
  });

  it('runs one task at a time in task mode, refusing a task whose dependencies have not succeeded', async () => {
    fixture = controlPlaneFixture();
    const { dag, calls } = chain();
    const refused = await runDag(options(dag, { onlyTask: 'transform' })).catch((e) => e);
    expect(refused).toBeInstanceOf(PipelineError);
    expect(refused.message).toBe(
      'task transform cannot run for 2025-03-01: its dependencies have not succeeded: extract (not run)',
    );
    expect(await fixture.store.listRuns({ dag: 'etl' })).toEqual([]);
    const extract = await runDag(options(dag, { onlyTask: 'extract' }));
    expect(extract.outcome).toBe('queued');
    expect(await fixture.store.getRun(extract.runId)).toMatchObject({ state: 'queued', trigger: 'task' });
    await runDag(options(dag, { onlyTask: 'transform' }));
    const last = await runDag(options(dag, { onlyTask: 'publish' }));
    expect(last).toMatchObject({ outcome: 'success', runId: extract.runId });
    expect(calls).toEqual({ extract: 1, transform: 1, publish: 1 });
    await expect(runDag(options(dag, { onlyTask: 'nope' }))).rejects.toThrow(UsageError);
    await expect(runDag(options(dag, { fromTask: 'nope' }))).rejects.toThrow(
      "--from-task 'nope': DAG etl has no such task (tasks: extract, transform, publish)",
    );
  });

  it('tries a task once in single-try mode, leaving retries to the caller (Airflow)', async () => {
    fixture = controlPlaneFixture();
    const flaky = defineTask({
      name: 'flaky',
      retry: { retries: 3, retryDelay: 1 },
      run: async () => {
        throw new Error('not yet');
      },
    });
    const dag = defineDag({ name: 'etl', tasks: [flaky] });
    const first = await runDag(options(dag, { onlyTask: 'flaky', singleTry: true }));
    expect(first).toMatchObject({ outcome: 'failed', error: 'task flaky failed: not yet (try 1)' });
    const second = await runDag(options(dag, { onlyTask: 'flaky', singleTry: true }));
    expect(second.runId).toBe(first.runId);
    expect((await fixture.store.tries(first.runId)).map((t) => t.tryNumber)).toEqual([1, 2]);
    expect(fixture.clock.sleeps).toEqual([]);
  });

  it('runs independent tasks at once up to maxActiveTasks', async () => {
    const spans: Record<string, [number, number]> = {};
    const timed = (name: string, dependsOn: string[] = []) =>
      defineTask({
        name,
        dependsOn,
        run: async () => {
          const start = performance.now();
          await new Promise((resolve) => setTimeout(resolve, 150));
          spans[name] = [start, performance.now()];
        },
      });
    const tasks = [timed('a'), timed('b', ['a']), timed('c', ['a']), timed('d', ['b', 'c'])];
    const overlaps = () => spans['c']![0] < spans['b']![1] && spans['b']![0] < spans['c']![1];

    fixture = controlPlaneFixture();
    const parallel = await runDag(options(defineDag({ name: 'fan', tasks, maxActiveTasks: 2 })));
    expect(parallel.outcome).toBe('success');
    expect(overlaps()).toBe(true);
    expect(spans['d']![0]).toBeGreaterThanOrEqual(Math.max(spans['b']![1], spans['c']![1]));

    const serial = await runDag(options(defineDag({ name: 'fan_serial', tasks, maxActiveTasks: 1 })));
    expect(serial.outcome).toBe('success');
    expect(overlaps()).toBe(false);
  });

  it('aborts a try at its timeout through the signal, and retries it', async () => {
    fixture = controlPlaneFixture();
    let calls = 0;
    const reasons: unknown[] = [];
    const slow = defineTask({
      name: 'slow',
      timeoutSeconds: 0.2,
      retry: { retries: 1, retryDelay: 1 },
      run: async (_input, { signal }) => {
        calls++;
        if (calls > 1) return { ok: true };
        await new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => {
            reasons.push(signal.reason);
            reject(signal.reason);
          }),
        );
      },
    });
    const result = await runDag(options(defineDag({ name: 'etl', tasks: [slow] })));
    expect(result.outcome).toBe('success');
    expect(reasons[0]).toBeInstanceOf(TaskTimeoutError);
    const tries = await fixture.store.tries(result.runId, 'slow');
    expect(tries.map((t) => [t.state, t.failureKind, t.error])).toEqual([
      ['failed', 'timeout', 'task slow timed out after 0.2 s'],
      ['success', undefined, undefined],
    ]);
  });

  it('marks a try that ignores its signal failed at the deadline, and does not retry it while it runs on', async () => {
    fixture = controlPlaneFixture();
    let finishedLate = false;
    const stubborn = defineTask({
      name: 'stubborn',
      timeoutSeconds: 0.2,
      retry: { retries: 3, retryDelay: 0 },
      run: async () => {
        // Far past the deadline, so a busy machine cannot blur the two; unref'd, so it holds nothing open.
        await new Promise((resolve) => setTimeout(resolve, 15_000).unref());
        finishedLate = true;
      },
    });
    const started = Date.now();
    const result = await runDag(
      options(defineDag({ name: 'etl', tasks: [stubborn] }), { timeoutGraceMs: 200 }),
    );
    expect(result.outcome).toBe('failed');
    const [attempt, ...others] = await fixture.store.tries(result.runId, 'stubborn');
    expect(others).toEqual([]);
    expect(attempt).toMatchObject({ state: 'failed', failureKind: 'timeout' });
    expect(attempt!.finishedAt!.getTime() - attempt!.startedAt.getTime()).toBeLessThan(7_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(finishedLate).toBe(false);
    const events = await logEvents(attempt!.logPath);
    expect(events.map((event) => event.kind)).toEqual(['task-started', 'task-finished', 'warning']);
    expect(events[2]!['message']).toMatch(/did not stop within 0.2 s of being aborted; it is not retried/);
  });

  it('fails a task whose output is not JSON, naming where, without retrying', async () => {
    fixture = controlPlaneFixture();
    const dated = defineTask({
      name: 'dated',
      retry: { retries: 2 },
      run: async () => ({ files: [{ name: 'a', at: new Date() }] }),
    });
    const result = await runDag(options(defineDag({ name: 'etl', tasks: [dated] })));
    expect(result.outcome).toBe('failed');
    expect(result.error).toBe(
      'task dated failed: task dated returned an output that is not JSON: output.files[0].at is a Date (try 1)',
    );
    expect(await fixture.store.tries(result.runId)).toHaveLength(1);
  });

  it('keeps secrets and card numbers out of logs and of the recorded error', async () => {
    fixture = controlPlaneFixture();
    registerSecret('hunter2-very-secret');
    const leaky = defineTask({
      name: 'leaky',
      run: async (_input, { events }) => {
        events.emit({
          kind: 'notice',
          message: 'connecting with hunter2-very-secret',
          card: '4111111111111111',
        });
        throw new Error('login failed for postgres://etl:hunter2-very-secret@db/x');
      },
    });
    const shown: unknown[] = [];
    const result = await runDag(
      options(defineDag({ name: 'etl', tasks: [leaky] }), { events: { emit: (event) => shown.push(event) } }),
    );
    expect(JSON.stringify(shown)).not.toContain('hunter2');
    expect(shown.map((event) => (event as { kind: string }).kind)).toEqual([
      'run-started',
      'task-started',
      'notice',
      'task-finished',
      'run-finished',
    ]);
    const [attempt] = await fixture.store.tries(result.runId);
    expect(attempt!.error).toBe('login failed for postgres://etl:***@db/x');
    const log = readFileSync(attempt!.logPath, 'utf8');
    expect(log).not.toContain('hunter2');
    expect(log).not.toContain('4111111111111111');
    expect(log).toContain('411111******1111');
  });

  it('stops on request: a running try gets its grace period, is abandoned, and the next run resumes', async () => {
    fixture = controlPlaneFixture();
    const stop = new AbortController();
    let secondRuns = 0;
    const first = defineTask({ name: 'first', run: async () => ({ done: true }) });
    const long = defineTask({
      name: 'long',
      dependsOn: [first],
      run: async (_input, { signal }) => {
        if (secondRuns++ > 0) return { done: true };
        setTimeout(() => stop.abort(new Error('SIGTERM')), 50);
        await new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        );
      },
    });
    const after = defineTask({ name: 'after', dependsOn: [long], run: async () => ({ done: true }) });
    const dag = defineDag({ name: 'etl', tasks: [first, long, after] });
    const stopped = await runDag(options(dag, { stopSignal: stop.signal, stopGraceMs: 100 }));
    expect(stopped.outcome).toBe('stopped');
    expect(stopped.error).toBe('stopped during task long (SIGTERM); the next run resumes it');
    expect(await fixture.store.tries(stopped.runId, 'long')).toMatchObject([
      {
        state: 'failed',
        failureKind: 'abandoned',
        error: 'task long was abandoned: the process was asked to stop',
      },
    ]);
    expect(await fixture.store.getRun(stopped.runId)).toMatchObject({
      state: 'failed',
      failureKind: 'stopped',
    });

    const resumed = await runDag(options(dag));
    expect(resumed).toMatchObject({ outcome: 'success', runId: stopped.runId, resumed: true });
    expect(resumed.tasks.map((task) => task.tryNumbers)).toEqual([[], [2], [1]]);
  });

  it('lets a try that finishes within the grace period end normally, then stops before the next task', async () => {
    fixture = controlPlaneFixture();
    const stop = new AbortController();
    const first = defineTask({
      name: 'first',
      run: async () => {
        stop.abort(new Error('SIGTERM'));
        await new Promise((resolve) => setTimeout(resolve, 30));
        return { done: true };
      },
    });
    const second = defineTask({ name: 'second', dependsOn: [first], run: async () => ({ done: true }) });
    const result = await runDag(
      options(defineDag({ name: 'etl', tasks: [first, second] }), {
        stopSignal: stop.signal,
        stopGraceMs: 5000,
      }),
    );
    expect(result.outcome).toBe('stopped');
    expect(result.error).toBe('stopped before task second (SIGTERM); the next run resumes it');
    expect(result.tasks.map((task) => task.state)).toEqual(['success', 'not-run']);
  });

  it('marks a try left running by a dead process as killed before resuming', async () => {
    fixture = controlPlaneFixture();
    const { dag, calls } = chain();
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    const process_ = {
      pid: dead,
      host: (await import('node:os')).hostname(),
      command: 'fintech-etl run --date 2025-03-01',
    };
    const { runId } = await fixture.store.createRun({
      runId: 'run-killed',
      dag: 'etl',
      logicalDate: DATE,
      state: 'running',
      trigger: 'manual',
      conf: {},
      startedAt: new Date(),
      process: process_,
    });
    const logPath = join(fixture.logsDir, runId, 'extract', 'try-1.log');
    await fixture.store.startTry({
      runId,
      task: 'extract',
      tryNumber: 1,
      startedAt: new Date(),
      process: process_,
      logPath,
    });

    const result = await runDag(options(dag));
    expect(result).toMatchObject({ outcome: 'success', runId, resumed: true });
    expect(result.recovered.map((attempt) => [attempt.task, attempt.tryNumber, attempt.failureKind])).toEqual(
      [['extract', 1, 'killed']],
    );
    const tries = await fixture.store.tries(runId, 'extract');
    expect(tries.map((t) => [t.tryNumber, t.state, t.failureKind])).toEqual([
      [1, 'failed', 'killed'],
      [2, 'success', undefined],
    ]);
    expect(tries[0]!.error).toBe(
      `killed: process ${dead} on ${process_.host} is no longer running before try 1 of extract finished`,
    );
    expect((await logEvents(logPath)).map((event) => event.kind)).toEqual(['try-marked-killed']);
    expect(calls.extract).toBe(1);
  });

  it('treats a run on another host with an old heartbeat as dead, and refuses one whose process is alive', async () => {
    fixture = controlPlaneFixture();
    const { dag } = chain();
    const elsewhere = { pid: 1, host: 'another-machine', command: 'fintech-etl run --date 2025-03-01' };
    await fixture.store.createRun({
      runId: 'run-remote',
      dag: 'etl',
      logicalDate: DATE,
      state: 'running',
      trigger: 'manual',
      conf: {},
      startedAt: new Date(Date.now() - 60_000),
      process: elsewhere,
    });
    const refused = await runDag(options(dag, { heartbeatTimeoutMs: 120_000 })).catch((e) => e);
    expect(refused).toBeInstanceOf(RunInProgressError);
    expect(refused.message).toMatch(
      /^a run of etl for 2025-03-01 is in progress: process 1 on another-machine \(fintech-etl run --date 2025-03-01\), started /,
    );
    const result = await runDag(options(dag, { heartbeatTimeoutMs: 30_000 }));
    expect(result).toMatchObject({ outcome: 'success', runId: 'run-remote', resumed: true });
  });
});
