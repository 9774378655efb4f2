/** `fintech-etl ingest FILE...`: external CSV / JSON Lines files into bronze (see src/ingest/README.md). */
import type { Command } from 'commander';
import { ingestFiles } from '../../ingest/ingest-files.ts';
import type { CliContext, RegisterCommand } from '../cli-context.ts';
import { isoDate, oneOf } from '../option-parsers.ts';

export const registerIngestCommand: RegisterCommand = (program: Command, context: CliContext) => {
  program
    .command('ingest')
    .description('copy transaction files (CSV with a header, JSON Lines; gzip or not) into bronze')
    .argument(
      '<files...>',
      'local files or s3://bucket/key objects (s3://bucket/prefix/ for all under it); the date comes from --ingest-date or a YYYY-MM-DD in the name',
    )
    .option(
      '--ingest-date <date>',
      'bronze partition to write (default: the date in each file name)',
      isoDate,
    )
    .option('--format <format>', 'file format (default: from the extension)', oneOf('csv', 'jsonl'))
    .action(async (files: string[], options) => {
      const lake = await context.lake();
      const config = context.config();
      const partitions = await ingestFiles({
        lake,
        files,
        ingestDate: options.ingestDate,
        format: options.format,
        openBucket: async (bucket) => {
          const { openS3Store } = await import('../../lake/open-object-store.ts');
          return openS3Store(config, { bucket, prefix: '' });
        },
      });
      if (context.options().json) {
        context.emitJson({ lake: lake.location, partitions });
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
