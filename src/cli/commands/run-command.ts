/**
 * `fintech-etl run --date D [--accept-quality-failures]`: the daily pipeline for logical date D (silver →
 * quality → load → models → tests → gold), with a summary of rows per task, the ledger, the quality gate's
 * failures (observed values and samples), tests and time per task. Exit 1 when any task failed.
 */
import type { Command } from 'commander';
import { ConfigError, PipelineError } from '../../core/errors.ts';
import type { DailyRunResult } from '../../orchestrator/daily-run.ts';
import type { CliContext } from '../cli-context.ts';
import { isoDate } from '../option-parsers.ts';
import { withPipeline } from '../with-pipeline.ts';
import { failureDetail, qualityJson } from './print-quality.ts';

export function registerRunCommand(program: Command, context: CliContext): void {
  program
    .command('run')
    .description('run the daily pipeline for one logical date: silver → load → models → tests → gold')
    .requiredOption('--date <date>', 'logical date YYYY-MM-DD (the bronze ingest date it processes)', isoDate)
    .option(
      '--accept-quality-failures',
      'load the batch even when error expectations of the quality gate fail (recorded on the run)',
    )
    .action(async (options: { date: string; acceptQualityFailures?: boolean }) => {
      const result = await withPipeline(context, (pipeline) =>
        pipeline.runDaily(isoDate(options.date), { acceptQualityFailures: options.acceptQualityFailures }),
      );
      if (context.options().json) context.emitJson(runSummaryJson(result));
      else printRunSummary(context, result);
      failIfRunFailed(result);
    });
}

/** The `--json` document of a run: tasks, the ledger and the test outcome, no row samples. */
export function runSummaryJson(result: DailyRunResult) {
  return {
    run_id: result.runId,
    logical_date: result.logicalDate,
    as_of_date: result.asOfDate,
    ok: result.ok,
    tasks: result.tasks,
    ledger: result.silver?.ledger,
    entities: result.silver?.entities,
    quality: result.quality && {
      ...qualityJson(result.quality.gate),
      held: result.quality.held,
      accepted: result.quality.accepted,
      released_hold: result.quality.releasing,
    },
    models: result.models?.models.map(({ name, status, seconds, error }) => ({
      name,
      status,
      seconds,
      error,
    })),
    tests: result.tests?.tests.map(({ name, status, failures }) => ({ name, status, failures })),
    gold: result.gold,
  };
}

export function printRunSummary(context: CliContext, result: DailyRunResult): void {
  context.say(`run ${result.runId}  logical date ${result.logicalDate}  (marts as of ${result.asOfDate})`);
  for (const task of result.tasks) {
    const status = task.status === 'success' ? 'OK  ' : task.status === 'failed' ? 'FAIL' : 'SKIP';
    context.say(
      `  ${status} ${task.task.padEnd(7)} ${task.seconds.toFixed(2).padStart(7)}s  cpu ${task.cpuSeconds.toFixed(2).padStart(7)}s  ${task.summary}`,
    );
  }
  const ledger = result.silver?.ledger;
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
  const quality = result.quality;
  const failed = quality?.gate.results.filter((expectation) => expectation.success === false) ?? [];
  if (quality && failed.length) {
    context.say(
      `  quality ${quality.held ? `ingest date ${result.logicalDate} held (not loaded)` : quality.accepted ? 'failures accepted by the operator' : 'warnings'}:`,
    );
    for (const expectation of failed) {
      context.say(
        `    ${expectation.severity === 'error' ? 'FAIL' : 'WARN'} ${expectation.dataset} ${expectation.expectationId} [${expectation.partition}] observed ${JSON.stringify(expectation.observed)}`,
      );
      for (const line of failureDetail(expectation)) context.say(`  ${line}`);
    }
  }
}

/** Exit code 1 with the first failed task's message (DESIGN.md §2); 2 when it failed on bad config (a suite). */
export function failIfRunFailed(result: DailyRunResult): void {
  const failed = result.tasks.find((task) => task.status === 'failed');
  if (!failed) return;
  const message = `run for ${result.logicalDate} failed in task ${failed.task}: ${failed.summary}`;
  throw failed.exitCode === 2 ? new ConfigError(message) : new PipelineError(message);
}
