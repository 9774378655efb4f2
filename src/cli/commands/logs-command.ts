/**
 * `fintech-etl logs RUN [TASK] [--try N]`: with a task, that try's log (its latest try by default), one line per
 * event; `RUN` alone prints the run's failure report (src/orchestrator/failure-report.ts): the failed task, its
 * error in one sentence, the last lines of its log, and for a failing test or check its SQL and sample rows.
 * RUN is a run id, or a logical date (its latest run). `--json` gives the report or the log's events as JSON.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { type IsoDate, isIsoDate } from '../../core/dates.ts';
import { UsageError } from '../../core/errors.ts';
import { readEventLog } from '../../orchestrator/execution/event-log.ts';
import { buildFailureReport } from '../../orchestrator/failure-report.ts';
import type { RunRecord, StateStore } from '../../orchestrator/state/state-store.ts';
import type { CliContext } from '../cli-context.ts';
import { DAILY_DAG, declaredDag, openStateOnly } from '../control-plane.ts';
import { positiveInteger } from '../option-parsers.ts';
import { failureReportLines, logLine } from './print-failure-report.ts';

export function registerLogsCommand(program: Command, context: CliContext): void {
  program
    .command('logs')
    .description("a run's failure report, or one task's log")
    .argument('<run>', 'run id (fintech-etl runs lists them), or a logical date for its latest run')
    .argument('[task]', "a task of the run: print its log (the latest try's unless --try)")
    .option('--try <n>', 'which try of the task', positiveInteger)
    .action(async (runArgument: string, task: string | undefined, options: { try?: number }) => {
      const { config, store } = await openStateOnly(context);
      try {
        const run = await findRun(store, runArgument);
        const json = Boolean(context.options().json);
        if (task === undefined) {
          if (options.try !== undefined)
            throw new UsageError('--try needs a task: fintech-etl logs RUN TASK --try N');
          const report = (await buildFailureReport(store, run.runId, { order: declaredDag(config).order }))!;
          if (json) context.emitJson(report);
          else for (const line of failureReportLines(report)) context.say(line);
          return;
        }
        const tries = await store.tries(run.runId, task);
        if (tries.length === 0) {
          const tasks = [...new Set((await store.tries(run.runId)).map((attempt) => attempt.task))];
          throw new UsageError(
            `run ${run.runId} has no try of task '${task}'` +
              (tasks.length ? ` (tasks that ran: ${tasks.join(', ')})` : ' (no task of it has run)'),
          );
        }
        const attempt =
          options.try === undefined ? tries.at(-1)! : tries.find((each) => each.tryNumber === options.try);
        if (!attempt) {
          throw new UsageError(
            `task ${task} of run ${run.runId} has no try ${options.try} (tries: ${tries.map((each) => each.tryNumber).join(', ')})`,
          );
        }
        if (!existsSync(attempt.logPath)) {
          throw new UsageError(
            `the log of try ${attempt.tryNumber} of ${task} is missing: ${attempt.logPath}`,
          );
        }
        if (json) {
          context.emitJson({ ...(await readEventLog(attempt.logPath)), path: attempt.logPath });
          return;
        }
        context.say(
          `${task} try ${attempt.tryNumber} of run ${run.runId}: ${attempt.state}` +
            (attempt.error ? ` — ${attempt.error}` : '') +
            `  (${attempt.logPath})`,
        );
        const lines = (await readFile(attempt.logPath, 'utf8')).split('\n').filter((line) => line !== '');
        for (const line of lines) context.say(logLine(line));
      } finally {
        await store.close();
      }
    });
}

async function findRun(store: StateStore, argument: string): Promise<RunRecord> {
  if (isIsoDate(argument)) {
    const run = await store.latestRun(DAILY_DAG, argument as IsoDate);
    if (!run) throw new UsageError(`no run of ${argument} is recorded (fintech-etl runs lists them)`);
    return run;
  }
  const run = await store.getRun(argument);
  if (!run) throw new UsageError(`no run '${argument}' is recorded (fintech-etl runs lists them)`);
  return run;
}
