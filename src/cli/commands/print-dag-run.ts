/**
 * How a run of the daily DAG reads on a terminal and in `--json`: a line per task (state, tries, seconds of its
 * latest try, the summary its output carries, or its error), then the ledger. Shared by run, backfill, task,
 * scheduler and demo. Everything comes from the run's result and the state store, so a resumed run shows the
 * outputs it reused.
 */
import type { DagRunResult } from '../../orchestrator/execution/run-dag.ts';
import type { StateStore, TryRecord } from '../../orchestrator/state/state-store.ts';
import type { CliContext } from '../cli-context.ts';

interface TaskLine {
  task: string;
  state: string;
  reused: boolean;
  tries: number;
  seconds: number | null;
  summary: string | null;
  error: string | null;
  output: unknown;
}

export interface DagRunSummary {
  run_id: string;
  dag: string;
  logical_date: string;
  outcome: DagRunResult['outcome'];
  /** The date is done: this run succeeded, or an earlier one had. */
  ok: boolean;
  resumed: boolean;
  as_of_date: string | null;
  error: string | null;
  tasks: TaskLine[];
  /** The silver task's ledger entry of the bronze partition (bronze = inserted + superseded + duplicates + quarantined). */
  ledger: LedgerCounts | null;
  recovered_tries: { task: string; try: number; error: string | null }[];
}

export async function summarizeDagRun(store: StateStore, result: DagRunResult): Promise<DagRunSummary> {
  const [run, tries] = await Promise.all([store.getRun(result.runId), store.tries(result.runId)]);
  const latestTry = (task: string): TryRecord | undefined =>
    tries.filter((attempt) => attempt.task === task).at(-1);
  const summary: DagRunSummary = {
    run_id: result.runId,
    dag: result.dag,
    logical_date: result.logicalDate,
    outcome: result.outcome,
    ok: result.outcome === 'success' || result.outcome === 'already-succeeded',
    resumed: result.resumed,
    as_of_date: run?.asOfDate ?? null,
    error: result.error ?? null,
    tasks: result.tasks.map((task) => {
      const attempt = latestTry(task.task);
      const output = task.output as { summary?: unknown } | undefined;
      return {
        task: task.task,
        state: task.state,
        reused: task.reused,
        tries: tries.filter((each) => each.task === task.task).length,
        seconds:
          attempt?.finishedAt && !task.reused
            ? (attempt.finishedAt.getTime() - attempt.startedAt.getTime()) / 1000
            : null,
        summary: typeof output?.summary === 'string' ? output.summary : null,
        error: task.error ?? (task.state === 'failed' ? (attempt?.error ?? null) : null),
        output: task.output ?? null,
      };
    }),
    recovered_tries: result.recovered.map((attempt) => ({
      task: attempt.task,
      try: attempt.tryNumber,
      error: attempt.error ?? null,
    })),
    ledger: null,
  };
  summary.ledger = ledgerOf(summary) ?? null;
  return summary;
}

const MARKS: Record<string, string> = {
  success: 'OK  ',
  failed: 'FAIL',
  upstream_failed: 'SKIP',
  skipped: 'SKIP',
  running: 'RUN ',
  queued: '... ',
  'not-run': '--  ',
};

export function printDagRun(context: CliContext, summary: DagRunSummary): void {
  const head =
    summary.outcome === 'already-succeeded'
      ? `${summary.logical_date} already succeeded in run ${summary.run_id}: nothing to do (--force runs it again, --from-task T from a task on)`
      : `run ${summary.run_id}  ${summary.dag}  logical date ${summary.logical_date}` +
        (summary.resumed ? '  (resumed)' : '') +
        (summary.as_of_date ? `  (marts as of ${summary.as_of_date})` : '');
  context.say(head);
  for (const attempt of summary.recovered_tries) {
    context.say(`  try ${attempt.try} of ${attempt.task} was left by a dead process: ${attempt.error}`);
  }
  if (summary.outcome === 'already-succeeded') return;
  for (const task of summary.tasks) {
    const mark = task.reused ? 'DONE' : (MARKS[task.state] ?? task.state);
    const seconds = task.seconds === null ? '' : `${task.seconds.toFixed(2)}s`;
    const tries = task.reused
      ? 'reused'
      : task.tries > 1
        ? `${task.tries} tries`
        : task.tries === 1
          ? '1 try'
          : '';
    const detail =
      task.state === 'upstream_failed'
        ? 'not run: a task it depends on failed'
        : task.state === 'not-run'
          ? 'not run'
          : (task.error ?? task.summary ?? '');
    context.say(
      `  ${mark} ${task.task.padEnd(8)}${seconds.padStart(9)}  ${tries.padEnd(8)}  ${detail}`.trimEnd(),
    );
  }
  const ledger = ledgerOf(summary);
  if (ledger) {
    const late = Object.entries(ledger.late_by_days)
      .map(([days, rows]) => `${days}d:${rows}`)
      .join(' ');
    context.say(
      `  ledger  bronze_rows ${ledger.bronze_rows} = inserted ${ledger.inserted} + superseded ${ledger.superseded}` +
        ` + duplicates ${ledger.duplicates} + quarantined ${ledger.quarantined}` +
        (ledger.late_rows ? `; late ${ledger.late_rows} (${late})` : ''),
    );
  }
}

export interface LedgerCounts {
  bronze_rows: number;
  inserted: number;
  superseded: number;
  duplicates: number;
  quarantined: number;
  late_rows: number;
  late_by_days: Record<string, number>;
}

export function ledgerOf(summary: DagRunSummary): LedgerCounts | undefined {
  const silver = summary.tasks.find((task) => task.task === 'silver')?.output as
    | { ledger?: LedgerCounts }
    | undefined;
  return silver?.ledger;
}
