/**
 * GET /api/pipeline/run?run=ID[&task=T[&try=N]]: one run as the Pipeline page opens it on a click — the run,
 * the other runs of its date, every task with its tries, one try's log (the asked one; by default the failed
 * task's latest try), and the failure report of a failed run. The run id is looked up in the state store; the
 * log path comes from the store's try record and is read only under `<home>/logs`.
 */
import { redact } from '../../core/redact.ts';
import type { TryRecord } from '../../orchestrator/state/state-store.ts';
import { failureReport } from '../data/failure-report.ts';
import { readTryLog } from '../data/try-log.ts';
import type { WebData } from '../page-registry.ts';
import { BadRequest, type QueryParams } from '../server/query-params.ts';

const LOG_LINES = 400;

export async function pipelineRunDetail(query: QueryParams, data: WebData): Promise<object> {
  const runId = query.text('run', 200);
  if (!runId) throw new BadRequest("parameter 'run' is required: the id of a run");
  const store = await data.runs.store();
  const run = store ? await store.getRun(runId) : undefined;
  if (!store || !run) throw new BadRequest(`parameter 'run': there is no run '${redact(runId)}'`);
  const [instances, tries, ofDate] = await Promise.all([
    store.taskInstances(run.runId),
    store.tries(run.runId),
    store.listRuns({ dag: run.dag, logicalDate: run.logicalDate }),
  ]);
  // The DAG's order when the server knows the DAG; else the order tasks first ran in (tries come by start time,
  // and two quick tasks can start in the same millisecond), then those that never ran in this run.
  const present = new Set([...tries.map((t) => t.task), ...instances.map((instance) => instance.task)]);
  const known =
    data.runs.dag?.name === run.dag ? data.runs.dag.order.filter((task) => present.has(task)) : [];
  const tasks = [...new Set([...known, ...tries.map((t) => t.task), ...instances.map((i) => i.task)])];
  const task = query.oneOf('task', tasks);
  const tryNumber = query.integer('try', 0, 1, 10_000);
  const failure = await failureReport(data.runs, store, run);

  const shownTask = task || failure?.task?.name;
  const ofTask = tries.filter((attempt) => attempt.task === shownTask);
  const shown = tryNumber
    ? ofTask.find((attempt) => attempt.tryNumber === tryNumber)
    : ofTask.reduce<TryRecord | undefined>(
        (latest, t) => (!latest || t.tryNumber > latest.tryNumber ? t : latest),
        undefined,
      );
  if (tryNumber && !shown)
    throw new BadRequest(
      `parameter 'try': task ${shownTask ?? '(none)'} of run ${run.runId} has no try ${tryNumber}`,
    );
  const file = shown ? data.runs.logFileOf(shown) : undefined;

  const now = Date.now();
  const unfinished = run.state === 'running' || run.state === 'queued';
  return {
    run: {
      run_id: run.runId,
      dag: run.dag,
      logical_date: run.logicalDate,
      state: run.state,
      failure_kind: run.failureKind ?? null,
      error: run.error ? redact(run.error) : null,
      trigger: run.trigger,
      conf: run.conf,
      started_at: run.startedAt.toISOString(),
      finished_at: run.finishedAt?.toISOString() ?? null,
      heartbeat_at: run.heartbeatAt.toISOString(),
      stale: unfinished && now - run.heartbeatAt.getTime() > data.runs.heartbeatTimeoutMs,
      host: run.process.host,
      pid: run.process.pid,
      command: redact(run.process.command),
      as_of_date: run.asOfDate ?? null,
    },
    runs_of_date: ofDate.map((other) => ({
      run_id: other.runId,
      state: other.state,
      trigger: other.trigger,
      started_at: other.startedAt.toISOString(),
    })),
    tasks: tasks.map((name) => {
      const instance = instances.find((candidate) => candidate.task === name);
      return {
        task: name,
        state: instance?.state ?? 'queued',
        reused_from_run: instance?.reusedFromRun ?? null,
        tries: tries
          .filter((attempt) => attempt.task === name)
          .map((attempt) => ({
            try_number: attempt.tryNumber,
            state: attempt.state,
            failure_kind: attempt.failureKind ?? null,
            error: attempt.error ? redact(attempt.error) : null,
            started_at: attempt.startedAt.toISOString(),
            finished_at: attempt.finishedAt?.toISOString() ?? null,
            seconds: attempt.finishedAt
              ? (attempt.finishedAt.getTime() - attempt.startedAt.getTime()) / 1000
              : null,
            host: attempt.process.host,
            pid: attempt.process.pid,
          })),
      };
    }),
    log: shown
      ? {
          task: shown.task,
          try_number: shown.tryNumber,
          state: shown.state,
          host: shown.process.host,
          available: file !== undefined,
          ...(file ? await readTryLog(file, LOG_LINES) : { lines: [], omitted: 0 }),
        }
      : null,
    failure: failure ?? null,
  };
}
