/**
 * `fintech-etl quality --date D [--suite S]`: the expectation suites on the silver of ingest date D, without
 * loading or recording anything; a table (or `--json`), exit 1 when an error expectation fails.
 * `fintech-etl quality docs [--out DIR]`: the data docs, a static HTML page per recorded gate run.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { PipelineError, UsageError } from '../../core/errors.ts';
import { loadSuites } from '../../quality/load-suites.ts';
import { readQualityRecords } from '../../quality/quality-results-store.ts';
import { writeDataDocs } from '../../quality/render-data-docs.ts';
import type { CliContext } from '../cli-context.ts';
import { isoDate } from '../option-parsers.ts';
import { qualityCounts, qualityJson, qualityTable } from './print-quality.ts';

export function registerQualityCommand(program: Command, context: CliContext): void {
  const quality = program
    .command('quality')
    .description(
      'run the expectation suites on the silver of one ingest date (no load); `quality docs` renders data docs',
    )
    .option('--date <date>', 'ingest date YYYY-MM-DD whose silver rows are checked', isoDate)
    .option('--suite <name>', 'only this suite (transactions, customers, cards, merchants)')
    .action(async (flags: { date?: string; suite?: string }) => {
      if (!flags.date) throw new UsageError("quality needs --date YYYY-MM-DD (or the subcommand 'docs')");
      const config = context.config();
      const suites = loadSuites(config.qualitySuitesDir, { only: flags.suite });
      const lake = await context.lake();
      const { checkQuality } = await import('../../orchestrator/quality-step.ts');
      const gate = await checkQuality({ config, lake, ingestDate: isoDate(flags.date), suites });
      if (context.options().json) context.emitJson(qualityJson(gate));
      else {
        const scanned = gate.datasets
          .map(
            (dataset) =>
              `${dataset.dataset} ${dataset.status === 'absent' ? 'absent' : `${dataset.rows} rows`}`,
          )
          .join(', ');
        context.say(`quality of ingest date ${gate.ingestDate}: ${scanned}`);
        for (const line of qualityTable(gate)) context.say(line);
        context.say(qualityCounts(gate));
      }
      if (gate.outcome === 'failed') {
        const failed = gate.results.filter(
          (result) => result.severity === 'error' && result.success === false,
        );
        throw new PipelineError(
          `${failed.length} error expectation result(s) failed for ${gate.ingestDate}: ${failed
            .slice(0, 5)
            .map((result) => `${result.dataset} ${result.expectationId} [${result.partition}]`)
            .join('; ')}`,
        );
      }
    });

  quality
    .command('docs')
    .description('write the data docs: an HTML page per recorded quality gate run, and an index')
    .option('--out <dir>', 'output folder (default: <home>/quality-docs)')
    .action(async (flags: { out?: string }) => {
      const config = context.config();
      const records = await readQualityRecords(await context.lake());
      const out = flags.out ? resolve(flags.out) : join(config.home, 'quality-docs');
      const pages = await writeDataDocs(records, out);
      if (context.options().json) {
        context.emitJson({
          out,
          index: join(out, 'index.html'),
          pages: pages.map((page) => ({ ...page, file: join(out, page.file) })),
        });
      } else {
        context.say(
          `data docs of ${pages.length} quality gate run${pages.length === 1 ? '' : 's'}: ${join(out, 'index.html')}`,
        );
      }
    });
}
