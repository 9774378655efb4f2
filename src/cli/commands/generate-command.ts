/** `fintech-etl generate`: synthetic entities and transactions into bronze (see src/generate/README.md). */
import type { Command } from 'commander';
import { generatorSettings } from '../../generate/generator-settings.ts';
import type { CliContext, RegisterCommand } from '../cli-context.ts';
import { integer, isoDate, nonNegativeInteger, rate } from '../option-parsers.ts';
import { printGeneratedDates } from './print-generated-dates.ts';
import { withProgressBar } from './with-progress-bar.ts';

export const registerGenerateCommand: RegisterCommand = (program: Command, context: CliContext) => {
  program
    .command('generate')
    .description('generate synthetic customers, cards, merchants and transactions into bronze')
    .requiredOption('--from <date>', 'first ingest date (YYYY-MM-DD)', isoDate)
    .option('--to <date>', 'last ingest date (default: --from)', isoDate)
    .option('--rows <n>', 'base transactions per day (config generator.rows_per_day)', nonNegativeInteger)
    .option('--seed <n>', 'random seed (config generator.seed)', integer)
    .option(
      '--late-rate <r>',
      'share of transactions arriving 1..max_late_days late (generator.late_rate)',
      rate,
    )
    .option('--dup-rate <r>', 'share of transactions re-sent as exact duplicates (generator.dup_rate)', rate)
    .option(
      '--update-rate <r>',
      'share of transactions re-sent as a changed version (generator.update_rate)',
      rate,
    )
    .option('--bad-rate <r>', 'share of records with one injected defect (generator.bad_rate)', rate)
    .action(async (options) => {
      const settings = generatorSettings(context.config(), {
        rows: options.rows,
        seed: options.seed,
        lateRate: options.lateRate,
        dupRate: options.dupRate,
        updateRate: options.updateRate,
        badRate: options.badRate,
      });
      const lake = await context.lake();
      // The generator (faker, worker threads) loads only when a command generates.
      const { generateBronze } = await import('../../generate/generate-bronze.ts');
      const generated = await withProgressBar(Boolean(context.options().json), (onProgress) =>
        generateBronze({ lake, settings, from: options.from, to: options.to ?? options.from, onProgress }),
      );
      if (context.options().json)
        context.emitJson({ lake: lake.location, seed: settings.seed, dates: generated });
      else printGeneratedDates(context, generated);
    });
};
