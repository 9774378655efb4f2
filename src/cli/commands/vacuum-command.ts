/**
 * `fintech-etl vacuum [--dry-run] [--retention-hours H]`: deletes lake objects no committed snapshot refers to
 * (files later commits replaced, files of writes that died before their commit, old COPY manifests) once they
 * are older than `lake.retention_hours`, so a reader that resolved its files before a commit still finds them.
 * Bronze is never touched. Takes the lake's writer lease.
 */
import type { Command } from 'commander';
import type { CliContext, RegisterCommand } from '../cli-context.ts';
import { nonNegativeInteger } from '../option-parsers.ts';

export const registerVacuumCommand: RegisterCommand = (program: Command, context: CliContext) => {
  program
    .command('vacuum')
    .description('delete lake objects no committed snapshot refers to, once older than lake.retention_hours')
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .option('--retention-hours <h>', 'override lake.retention_hours for this run', nonNegativeInteger)
    .action(async (options: { dryRun?: boolean; retentionHours?: number }) => {
      const lake = await context.lake();
      const { vacuumLake } = await import('../../lake/vacuum-lake.ts');
      const retentionHours = options.retentionHours ?? lake.retentionHours;
      const results = await vacuumLake(lake, {
        retentionHours,
        ...(options.dryRun ? { dryRun: true } : {}),
      });
      if (context.options().json) {
        context.emitJson({
          lake: lake.location,
          retention_hours: retentionHours,
          dry_run: Boolean(options.dryRun),
          tables: results,
        });
        return;
      }
      const verb = options.dryRun ? 'would delete' : 'deleted';
      context.say(
        `vacuum of ${lake.location} (retention ${retentionHours} h${options.dryRun ? ', dry run' : ''}):`,
      );
      for (const result of results) {
        context.say(
          `  ${result.table.padEnd(34)} ${verb} ${String(result.deleted.length).padStart(6)}, kept ${result.keptYoung} younger than the retention`,
        );
      }
      const total = results.reduce((sum, result) => sum + result.deleted.length, 0);
      context.say(`${total} object(s) ${verb}`);
    });
};
