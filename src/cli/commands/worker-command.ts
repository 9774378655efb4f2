/**
 * `fintech-etl worker [--concurrency N] [--tasks a,b] [--dag-module FILE]…`: a long-running process taking
 * tries from the queue executor (config `executor: {kind: queue, …}`) and running them through the same code as
 * `run`, writing the same state, logs and events (src/orchestrator/execution/queue). It knows the DAGs registered
 * by src/cli/dag-modules.ts and by each `--dag-module`. SIGTERM (or SIGINT) drains: the running tries finish, no
 * new one starts, then it exits 0; a second one aborts the running tries (recorded abandoned: retried elsewhere).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.ts';
import type { Dag } from '../../orchestrator/definitions/dag.ts';
import { dagRegistry } from '../../orchestrator/definitions/dag-registry.ts';
import type { TaskEvent, TaskEventSink } from '../../orchestrator/definitions/task-event.ts';
import { withTaskOverrides } from '../../orchestrator/definitions/task-overrides.ts';
import { currentProcess } from '../../orchestrator/execution/process-identity.ts';
import { startQueueWorker } from '../../orchestrator/execution/queue/queue-worker.ts';
import type { CliContext, RegisterCommand } from '../cli-context.ts';
import { DAG_MODULES } from '../dag-modules.ts';
import { killAtEvent } from '../fault-hooks.ts';
import { redisTarget } from '../open-task-executor.ts';
import { positiveInteger } from '../option-parsers.ts';
import { renderEvents } from '../render-events.ts';
import { selectWorkerTasks } from '../worker-task-selection.ts';

interface WorkerOptions {
  concurrency: number;
  tasks?: string;
  dagModule?: string[];
}

export const registerWorkerCommand: RegisterCommand = (program: Command, context: CliContext) => {
  program
    .command('worker')
    .description('take tasks from the queue executor (BullMQ on Redis) and run them; SIGTERM drains')
    .option('--concurrency <n>', 'tries run at once', positiveInteger, 1)
    .option(
      '--tasks <names>',
      'take only these tasks (comma-separated names; silver_check_* takes every check task)',
    )
    .option(
      '--dag-module <file>',
      'import this module, which registers DAGs (repeatable)',
      (file: string, files: string[] = []) => [...files, file],
    )
    .action(async (options: WorkerOptions) => {
      const config = context.config();
      const redis = await redisTarget(config);
      const dags = await registeredDags(context, options.dagModule ?? []);
      const tasks = selectWorkerTasks(options.tasks, dags);
      const store = await context.stateStore();
      // The kill switch of the fault hooks (tests): a worker dies at an event of a try it runs.
      const events = killAtEvent(workerEvents());
      const worker = await startQueueWorker({
        redis,
        queue: config.executor.kind === 'queue' ? config.executor.queue : '',
        store,
        dags,
        ...(tasks ? { tasks } : {}),
        concurrency: options.concurrency,
        logsDir: resolve(config.home, 'logs'),
        identity: currentProcess(),
        events,
        heartbeatIntervalMs: config.orchestrator.heartbeat_interval * 1000,
        heartbeatTimeoutMs: config.orchestrator.heartbeat_timeout * 1000,
        timeoutGraceMs: 30_000,
        stopGraceMs: 30_000,
      });
      await untilStopped(worker, events);
      context.say(`worker ${worker.workerId} stopped`);
    });
};

async function registeredDags(context: CliContext, modules: readonly string[]): Promise<Dag[]> {
  for (const url of DAG_MODULES) await import(url.href);
  for (const file of modules) {
    try {
      await import(pathToFileURL(resolve(file)).href);
    } catch (error) {
      throw new UsageError(
        `--dag-module '${file}' cannot be imported: ${(error as Error).message.split('\n')[0]}`,
      );
    }
  }
  const names = dagRegistry.names();
  if (names.length === 0) {
    throw new UsageError('no DAG is registered, so this worker could take no task (give --dag-module FILE)');
  }
  const overrides = context.config().orchestrator.tasks;
  const dags: Dag[] = [];
  for (const name of names) {
    const dag = await dagRegistry.build(name, context);
    // `orchestrator.tasks` names tasks of the DAG a run drives; each DAG here takes the overrides of its own tasks.
    const own = Object.fromEntries(Object.entries(overrides).filter(([task]) => dag.order.includes(task)));
    dags.push(withTaskOverrides(dag, own));
  }
  return dags;
}

/** The CLI's renderer, plus one line per try started and ended: what an operator tails on a worker. */
function workerEvents(): TaskEventSink {
  const rendered = renderEvents();
  const write = (line: string) => process.stderr.write(`${line}\n`);
  return {
    emit: <E extends TaskEvent>(event: E) => {
      const fields = event as unknown as Record<string, unknown>;
      if (event.kind === 'task-started') {
        write(
          `worker: ${fields['dag']}.${fields['task']} try ${fields['tryNumber']} of ${fields['runId']} started`,
        );
      } else if (event.kind === 'task-finished') {
        const seconds = Number(fields['seconds']).toFixed(2);
        write(
          `worker: ${fields['task']} try ${fields['tryNumber']} ${fields['status']} in ${seconds} s` +
            (fields['error'] ? `: ${fields['error']}` : ''),
        );
      }
      rendered.emit(event as never);
    },
  };
}

/** Resolves once the worker has drained after SIGTERM/SIGINT; a second signal aborts the running tries. */
async function untilStopped(
  worker: Awaited<ReturnType<typeof startQueueWorker>>,
  events: TaskEventSink,
): Promise<void> {
  let signals = 0;
  let stopped!: Promise<void>;
  const done = new Promise<void>((resolveDone) => {
    const onSignal = (name: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        events.emit({
          kind: 'notice',
          message: `${name}: draining — ${worker.running()} running tr${worker.running() === 1 ? 'y finishes' : 'ies finish'}, no new one starts (${name} again to abort them)`,
        });
        stopped = worker.drain();
      } else if (signals === 2) {
        events.emit({ kind: 'notice', message: `${name} again: aborting the running tries` });
        stopped = worker.stop();
      } else {
        process.exit(128 + (name === 'SIGINT' ? 2 : 15));
      }
      stopped.then(() => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        resolveDone();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await done;
}
