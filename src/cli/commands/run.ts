/**
 * `fintech-etl run --date D`: the daily DAG for logical date D. For now it runs silver for ingest date D and
 * prints the ledger; warehouse load and models are added as further tasks.
 */
import type { Command } from 'commander';
import type { CrashPoint } from '../../silver/commit-journal.ts';
import { runSilver } from '../../silver/run-silver.ts';
import type { CliContext } from '../cli-context.ts';
import { isoDate } from '../option-parsers.ts';

const CRASH_POINTS: readonly CrashPoint[] = ['before-commit', 'after-commit', 'mid-apply'];

export function registerRunCommand(program: Command, context: CliContext): void {
  program
    .command('run')
    .description('run the daily pipeline for one logical date (today: silver for that ingest date)')
    .requiredOption('--date <date>', 'logical date YYYY-MM-DD', isoDate)
    .action(async (options: { date: string }) => {
      const ingestDate = isoDate(options.date);
      const runId = `silver-${ingestDate}-${new Date().toISOString().replace(/[-:.]/g, '')}`;
      const crash = process.env['FINTECH_ETL_SILVER_CRASH_AT'] as CrashPoint | undefined;
      const result = await runSilver({
        config: context.config(),
        lake: context.lake(),
        ingestDate,
        runId,
        notice: (line) => process.stderr.write(`fintech-etl: ${line}\n`),
        crashAt: crash && CRASH_POINTS.includes(crash) ? crash : undefined,
      });
      if (context.options().json) {
        context.emitJson({ ledger: result.ledger, entities: result.entities });
        return;
      }
      const ledger = result.ledger;
      context.say(`silver ${ingestDate} (run ${ledger.run_id})`);
      context.say(`  bronze_rows  ${ledger.bronze_rows}`);
      context.say(`  inserted     ${ledger.inserted}`);
      context.say(`  superseded   ${ledger.superseded}`);
      context.say(`  duplicates   ${ledger.duplicates}`);
      context.say(`  quarantined  ${ledger.quarantined}  ${JSON.stringify(ledger.quarantined_by_reason)}`);
      context.say(`  late_rows    ${ledger.late_rows}  ${JSON.stringify(ledger.late_by_days)}`);
      context.say(`  partitions   ${ledger.touched_partitions.length} rewritten`);
      for (const entity of result.entities) {
        context.say(`  ${entity.dataset.padEnd(12)} ${entity.rows} rows (${entity.rejected} rejected)`);
      }
    });
}
