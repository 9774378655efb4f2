/**
 * `fintech-etl demo` (what `npm start` runs): a week of synthetic bronze ending yesterday, and what landed.
 * The later stages join the demo as they land; the generation itself lives in src/generate.
 */
import type { Command } from 'commander';
import { addDays } from '../../core/dates.ts';
import { generateBronze } from '../../generate/generate-bronze.ts';
import { generatorSettings } from '../../generate/generator-settings.ts';
import { todayIn } from '../../generate/today-in.ts';
import type { CliContext } from '../cli-context.ts';
import { isoDate, nonNegativeInteger, positiveInteger } from '../option-parsers.ts';
import type { RegisterCommand } from './index.ts';
import { printGeneratedDates } from './print-generated-dates.ts';
import { withProgressBar } from './with-progress-bar.ts';

export const registerDemoCommand: RegisterCommand = (program: Command, context: CliContext) => {
  program
    .command('demo')
    .description('generate N days of synthetic bronze ending yesterday and show what landed')
    .option('--days <n>', 'number of days', positiveInteger, 7)
    .option('--rows <n>', 'base transactions per day', nonNegativeInteger, 100_000)
    .option('--to <date>', 'last day (default: yesterday in the configured timezone)', isoDate)
    .action(async (options) => {
      const config = context.config();
      const settings = generatorSettings(config, { rows: options.rows });
      const to = options.to ?? addDays(todayIn(config.timezone), -1);
      const from = addDays(to, 1 - options.days);
      const layout = context.lake();
      const generated = await withProgressBar(Boolean(context.options().json), (onProgress) =>
        generateBronze({ layout, settings, from, to, onProgress }),
      );
      if (context.options().json) {
        context.emitJson({ lake: layout.root, from, to, dates: generated });
        return;
      }
      context.say(`bronze in ${layout.root} (${from} … ${to}, seed ${settings.seed}):`);
      printGeneratedDates(context, generated);
    });
};
