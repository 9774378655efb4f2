/** `fintech-etl ingest FILE...`: external CSV / JSON Lines files into bronze (see src/ingest/README.md). */
import type { Command } from 'commander';
import { ingestFiles } from '../../ingest/ingest-files.ts';
import type { CliContext, RegisterCommand } from '../cli-context.ts';
import { isoDate, oneOf } from '../option-parsers.ts';

export const registerIngestCommand: RegisterCommand = (program: Command, context: CliContext) => {
  program
    .command('ingest')
    .description('copy transaction files (CSV with a header, JSON Lines; gzip or not) into bronze')
    .argument('<files...>', 'files to ingest; the date comes from --ingest-date or a YYYY-MM-DD in the name')
    .option(
      '--ingest-date <date>',
      'bronze partition to write (default: the date in each file name)',
      isoDate,
    )
    .option('--format <format>', 'file format (default: from the extension)', oneOf('csv', 'jsonl'))
    .action(async (files: string[], options) => {
      const layout = context.lake();
      const partitions = await ingestFiles({
        layout,
        files,
        ingestDate: options.ingestDate,
        format: options.format,
      });
      if (context.options().json) {
        context.emitJson({ lake: layout.root, partitions });
        return;
      }
      for (const partition of partitions) {
        context.say(
          `bronze/transactions/ingest_date=${partition.ingest_date}: ${partition.result}, ${partition.rows} records in ${partition.files.length} file(s)`,
        );
        for (const file of partition.files)
          context.say(`  ${file.stored} ← ${file.original} (${file.format}, ${file.rows} records)`);
      }
    });
};
