/**
 * `fintech-etl worker` child processes as users start them, for the queue executor's tests: spawned with a home of
 * their own, their stdout and stderr kept (for a failure's message), and returned once their row is in the state
 * store, so a test never queues work before a worker takes it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { StateStore } from '../../../src/orchestrator/state/state-store.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { exited } from './child-process.ts';

const BIN = fileURLToPath(new URL('../../../bin/fintech-etl', import.meta.url));

export type WorkerProcess = ChildProcess & { output(): string };

export interface StartWorkerOptions {
  home: string;
  /** After `worker`: `--tasks`, `--dag-module`, … */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** A command the worker runs under, e.g. `ip netns exec NAME` (it must exec in place: the pid is the worker's). */
  under?: string[];
  /** Told of the process as soon as it is spawned, so a test's cleanup kills it even if it never registers. */
  started?: (worker: WorkerProcess) => void;
  /** Where it waits for the worker's row; `queue` also matches the row's queue. */
  state: StateStore;
  queue?: string;
}

export async function startWorkerProcess(options: StartWorkerOptions): Promise<WorkerProcess> {
  const command = [...(options.under ?? []), BIN, '--home', options.home, 'worker', ...(options.args ?? [])];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: options.home,
    env: { ...process.env, FINTECH_ETL_HOME: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
  }
  const worker: WorkerProcess = Object.assign(child, { output: () => output });
  options.started?.(worker);
  await waitFor(
    async () =>
      (await options.state.listWorkers()).some(
        (row) =>
          row.process.pid === child.pid && (options.queue === undefined || row.queue === options.queue),
      ),
    `worker ${child.pid}${options.under ? ` (${options.under.join(' ')})` : ''} to register`,
    () => output,
  );
  return worker;
}

/** SIGTERM to each, then each must drain and exit 0. */
export async function stopWorkers(workers: readonly WorkerProcess[]): Promise<void> {
  for (const worker of workers) worker.kill('SIGTERM');
  for (const worker of workers) {
    expect(await exited(worker), worker.output()).toEqual({ code: 0, signal: null });
  }
}

/** SIGKILL to any still running, and their exits awaited (a test's cleanup). */
export async function killWorkers(workers: WorkerProcess[]): Promise<void> {
  for (const worker of workers.splice(0)) {
    if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    await exited(worker);
  }
}
