/**
 * `fintech-etl plan --from D --to D [--explain] [--json]`: for each date what a run would do and why — `running`,
 * `killed`, `failed`, `missing`, `new bronze`, `models changed` (listing the models), `late data pending`,
 * `up to date` (src/orchestrator/planner/plan-dates.ts). `--explain` adds the tasks a run would execute, the
 * bronze rows and the silver partitions of each date. Reads the state store, the lake's bronze and the model
 * project; writes nothing and takes no lease.
 */
import type { Command } from 'commander';
import { clockFromEnvironment } from '../../orchestrator/execution/clock.ts';
import { planRange } from '../../orchestrator/plan-range.ts';
import type { DatePlan } from '../../orchestrator/planner/plan-dates.ts';
import type { CliContext } from '../cli-context.ts';
import { declaredDag, openStateOnly } from '../control-plane.ts';
import { isoDate } from '../option-parsers.ts';

export function registerPlanCommand(program: Command, context: CliContext): void {
  program
    .command('plan')
    .description('what a run would do for each date of a range, and why')
    .requiredOption('--from <date>', 'first logical date YYYY-MM-DD', isoDate)
    .requiredOption('--to <date>', 'last logical date YYYY-MM-DD', isoDate)
    .option('--explain', 'also list the tasks, the bronze rows and the silver partitions of each date')
    .action(async (options: { from: string; to: string; explain?: boolean }) => {
      const { config, store } = await openStateOnly(context);
      try {
        const plans = await planRange({
          store,
          lake: await context.lake(),
          dag: declaredDag(config),
          projectDir: config.projectDir,
          from: isoDate(options.from),
          to: isoDate(options.to),
          now: clockFromEnvironment().now(),
          heartbeatTimeoutMs: config.orchestrator.heartbeat_timeout * 1000,
        });
        if (context.options().json) {
          context.emitJson(options.explain ? plans : plans.map(({ explain: _explain, ...plan }) => plan));
          return;
        }
        for (const line of planLines(plans, Boolean(options.explain))) context.say(line);
      } finally {
        await store.close();
      }
    });
}

export function planLines(plans: readonly DatePlan[], explain: boolean): string[] {
  const width = Math.max(6, ...plans.map((plan) => plan.status.length));
  const lines = [`${'date'.padEnd(10)}  ${'status'.padEnd(width)}  run?  why`];
  for (const plan of plans) {
    lines.push(
      `${plan.date}  ${plan.status.padEnd(width)}  ${plan.wouldRun ? 'yes ' : 'no  '}  ${plan.reasons[0] ?? ''}`,
    );
    for (const reason of plan.reasons.slice(1)) lines.push(`${''.padEnd(10 + width + 10)}${reason}`);
    if (!explain) continue;
    const indent = ''.padEnd(12);
    if (plan.explain.tasks.length) lines.push(`${indent}tasks: ${plan.explain.tasks.join(' → ')}`);
    const bronze = Object.entries(plan.explain.bronzeRows);
    lines.push(
      `${indent}bronze: ${bronze.length ? bronze.map(([dataset, rows]) => `${dataset} ${rows.toLocaleString('en-US')} rows`).join(', ') : 'none'}`,
    );
    if (plan.explain.silverPartitions.length) {
      const partitions = plan.explain.silverPartitions;
      const shown = partitions.slice(0, 8).join(', ');
      lines.push(
        `${indent}silver: ${shown}${partitions.length > 8 ? `, … (${partitions.length} partitions)` : ''}`,
      );
    }
  }
  const counts = new Map<string, number>();
  for (const plan of plans) counts.set(plan.status, (counts.get(plan.status) ?? 0) + 1);
  lines.push(
    `${plans.length} dates: ${[...counts].map(([status, count]) => `${count} ${status}`).join(', ')}; ` +
      `${plans.filter((plan) => plan.wouldRun).length} would run`,
  );
  return lines;
}
