/**
 * `fintech-etl demo` (what `npm start` runs): a week of synthetic bronze ending yesterday, then the daily
 * pipeline for each day in order, a line per day, where the results are and how to query them; the last line
 * points at `fintech-etl serve`.
 */
import type { Command } from 'commander';
import { addDays } from '../../core/dates.ts';
import { generatorSettings } from '../../generate/generator-settings.ts';
import { todayIn } from '../../generate/today-in.ts';
import type { CliContext, RegisterCommand } from '../cli-context.ts';
import { failIfRunFailed, openControlPlane } from '../control-plane.ts';
import { isoDate, nonNegativeInteger, positiveInteger } from '../option-parsers.ts';
import { type DagRunSummary, ledgerOf, summarizeDagRun } from './print-dag-run.ts';
import { printGeneratedDates } from './print-generated-dates.ts';
import { withProgressBar } from './with-progress-bar.ts';

export const registerDemoCommand: RegisterCommand = (program: Command, context: CliContext) => {
  program
    .command('demo')
    .description('generate N days of synthetic data ending yesterday and run the daily pipeline for each')
    .option('--days <n>', 'number of days', positiveInteger, 7)
    .option('--rows <n>', 'base transactions per day', nonNegativeInteger, 100_000)
    .option('--to <date>', 'last day (default: yesterday in the configured timezone)', isoDate)
    .action(async (options) => {
      const config = context.config();
      const json = Boolean(context.options().json);
      const settings = generatorSettings(config, { rows: options.rows });
      const to = options.to ?? addDays(todayIn(config.timezone), -1);
      const from = addDays(to, 1 - options.days);
      const lake = await context.lake();
      // The generator (faker, worker threads) loads only when a command generates.
      const { generateBronze } = await import('../../generate/generate-bronze.ts');
      const generated = await withProgressBar(json, (onProgress) =>
        generateBronze({ lake, settings, from, to, onProgress }),
      );
      context.say(`bronze in ${lake.location} (${from} … ${to}, seed ${settings.seed}):`);
      printGeneratedDates(context, generated);
      context.say('\ndaily pipeline (silver → quality → load → models → tests → gold):');

      const runs: DagRunSummary[] = [];
      const plane = await openControlPlane(context);
      try {
        for (const { date } of generated) {
          const result = await plane.runDate(date);
          const summary = await summarizeDagRun(plane.store, result);
          runs.push(summary);
          context.say(describeRun(summary));
          if (result.outcome !== 'success' && result.outcome !== 'already-succeeded') {
            if (json) context.emitJson({ lake: lake.location, from, to, bronze: generated, runs });
            return failIfRunFailed(plane, result);
          }
        }
      } finally {
        await plane.close();
      }
      if (json) context.emitJson({ lake: lake.location, from, to, bronze: generated, runs });
      printWhereResultsAre(context, lake.location);
    });
};

function describeRun(summary: DagRunSummary): string {
  const ledger = ledgerOf(summary);
  const output = (task: string) =>
    summary.tasks.find((each) => each.task === task)?.output as Record<string, unknown> | undefined;
  const models = output('models')?.['models'] as { status: string }[] | undefined;
  const tests = output('tests') as { passed: number; tests: unknown[] } | undefined;
  const quality = output('quality') as { outcome: string } | undefined;
  const seconds = summary.tasks.reduce((sum, task) => sum + (task.seconds ?? 0), 0);
  const failed = summary.tasks.find((task) => task.state === 'failed');
  const parts = [
    `  ${summary.logical_date}`,
    ledger
      ? `${ledger.bronze_rows} rows: ${ledger.inserted} new, ${ledger.superseded} superseded, ${ledger.duplicates} dup, ${ledger.quarantined} quarantined, ${ledger.late_rows} late`
      : '',
    quality ? `quality ${quality.outcome}` : '',
    models ? `models ${models.filter((m) => m.status === 'success').length}/${models.length}` : '',
    tests ? `tests ${tests.passed}/${tests.tests.length}` : '',
    `${seconds.toFixed(1)}s`,
    summary.outcome === 'already-succeeded'
      ? 'already succeeded'
      : failed
        ? `FAILED in ${failed.task}`
        : summary.outcome === 'success'
          ? 'OK'
          : summary.outcome.toUpperCase(),
  ];
  return parts.filter(Boolean).join('  ');
}

function printWhereResultsAre(context: CliContext, lakeRoot: string): void {
  const config = context.config();
  const target = config.warehouseTarget;
  const home = context.options().home ? ` --home ${context.options().home}` : '';
  context.say('\nresults:');
  context.say(
    `  lake       ${lakeRoot}  (bronze/, silver/, quarantine/, gold/marts/<mart>/: Parquet files and a Delta log each)`,
  );
  context.say(
    `  warehouse  ${target.kind === 'duckdb' ? target.path : target.url.replace(/\/\/[^@]*@/, '//')}`,
  );
  context.say('try:');
  context.say(
    `  ./bin/fintech-etl${home} query "select * from marts.mart_sales_daily order by event_date desc, net_amount desc limit 10"`,
  );
  context.say(
    `  ./bin/fintech-etl${home} query "select segment, count(*) as customers from marts.mart_rfm_customer group by 1 order by 2 desc"`,
  );
  context.say(
    `  ./bin/fintech-etl${home} query "select * from audit.ledger order by ingest_date" --format csv`,
  );
  context.say(`  ./bin/fintech-etl${home} quality docs     # the quality gate's results as HTML (data docs)`);
  context.say(
    `  ./bin/fintech-etl${home} runs             # each run with its tasks and tries (logs RUN: a run's failure report)`,
  );
  const serve = config.serve;
  context.say(
    `dashboards, pipeline runs, data health and lineage: ./bin/fintech-etl${home} serve   (then open http://${serve.host}:${serve.port}/)`,
  );
}
