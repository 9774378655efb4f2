/**
 * `fintech-etl export airflow [--out DIR] [--command CMD]`: the Airflow DAG file of `daily_batch_etl`
 * (src/orchestrator/export/airflow-dag.ts), one BashOperator per task calling `fintech-etl task TASK --date …`
 * with the DAG's retries (config overrides included) and dependencies, on the config's schedule. Written to
 * `DIR/daily_batch_etl.py`, or printed without `--out`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { IsoDate } from '../../core/dates.ts';
import { todayIn } from '../../generate/today-in.ts';
import { renderAirflowDag } from '../../orchestrator/export/airflow-dag.ts';
import type { CliContext } from '../cli-context.ts';
import { declaredDag } from '../control-plane.ts';

export function registerExportCommand(program: Command, context: CliContext): void {
  const exporter = program.command('export').description('export the daily DAG for other orchestrators');
  exporter
    .command('airflow')
    .description('write an Airflow DAG file that runs each task with `fintech-etl task`')
    .option('--out <dir>', 'folder to write daily_batch_etl.py into (default: print it)')
    .option('--command <cmd>', 'how Airflow workers run fintech-etl (path and global options)', 'fintech-etl')
    .action((options: { out?: string; command: string }) => {
      const config = context.config();
      const dag = declaredDag(config);
      const timezone = config.scheduler.timezone ?? config.timezone;
      const home = context.options().home;
      const python = renderAirflowDag(dag, {
        schedule: config.scheduler.schedule,
        timezone,
        // Airflow needs a start date; without one in the config, the DAG starts today (no catch-up before it).
        startDate: (config.scheduler.start_date as IsoDate | undefined) ?? todayIn(timezone),
        catchup: config.scheduler.catchup,
        maxActiveRuns: config.scheduler.max_active_runs,
        command: home ? `${options.command} --home ${shellWord(resolve(home))}` : options.command,
      });
      if (!options.out) {
        process.stdout.write(python);
        return;
      }
      mkdirSync(options.out, { recursive: true });
      const path = join(options.out, `${dag.name}.py`);
      writeFileSync(path, python);
      context.say(`wrote ${path} (${dag.order.length} tasks: ${dag.order.join(' → ')})`);
    });
}

/** A path as one shell word: as it is when it needs no quoting, else in single quotes. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
