/**
 * `fintech-etl models run|test|docs`: build and test the dbt-style project (config `models.project`, default
 * the shipped pipeline/ folder) on the configured warehouse.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { parseIsoDate } from '../../core/dates.ts';
import { PipelineError, UsageError } from '../../core/errors.ts';
import { ModelCompiler } from '../../models/compile/model-compiler.ts';
import { buildLineage, formatLineage } from '../../models/lineage/build-lineage.ts';
import { loadProject } from '../../models/project/load-project.ts';
import { runModels } from '../../models/run/run-models.ts';
import { testModels } from '../../models/testing/test-models.ts';
import { latestSucceededDate } from '../../orchestrator/run-history.ts';
import { syncHoldsToWarehouse } from '../../quality/quality-holds.ts';
import { openWarehouse } from '../../warehouse/open-warehouse.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import type { CliContext } from '../cli-context.ts';
import { DAILY_DAG, openStateOnly } from '../control-plane.ts';
import { renderEvents } from '../render-events.ts';

/** `--vars k=v` (repeatable) or `--vars '{k: v}'` (YAML, like dbt). */
export function collectVars(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  if (value.trim().startsWith('{')) {
    const parsed = parseYaml(value) as unknown;
    if (!parsed || typeof parsed !== 'object')
      throw new InvalidArgumentError('must be k=v or a YAML mapping');
    return { ...previous, ...(parsed as Record<string, unknown>) };
  }
  const split = value.indexOf('=');
  if (split <= 0) throw new InvalidArgumentError(`'${value}' must look like name=value`);
  return { ...previous, [value.slice(0, split).trim()]: value.slice(split + 1) };
}

async function withWarehouse<T>(context: CliContext, fn: (warehouse: Warehouse) => Promise<T>): Promise<T> {
  const warehouse = await openWarehouse(context.config(), { events: renderEvents() });
  try {
    return await fn(warehouse);
  } finally {
    await warehouse.close();
  }
}

/**
 * On engines that read Parquet themselves, point staging.silver_* at the lake's committed files (fetched into
 * the local mirror of an S3 lake) so sources resolve; and bring the quality gate's holds over from the lake,
 * which the staging models exclude rows by.
 */
async function refreshSilverViewsOfLake(context: CliContext, warehouse: Warehouse): Promise<void> {
  const lake = await context.lake();
  await syncHoldsToWarehouse(warehouse, lake);
  if (!warehouse.capabilities.readsParquetDirectly) return;
  const { refreshSilverViews } = await import('../../orchestrator/load-silver.ts');
  await refreshSilverViews(warehouse, lake);
}

/**
 * The marts are built as of var `logical_date`. Without `--vars logical_date=…` that is the latest logical date
 * a daily run succeeded for (the state store): the date the pipeline last built them as of. Before any successful
 * run there is none, and the command refuses (exit 2) rather than build empty marts as of a placeholder date.
 */
async function varsWithLogicalDate(
  given: Record<string, unknown> | undefined,
  context: CliContext,
): Promise<Record<string, unknown>> {
  if (given?.['logical_date'] !== undefined) {
    parseIsoDate(String(given['logical_date']), '--vars logical_date');
    return given;
  }
  const { store } = await openStateOnly(context);
  const latest = await latestSucceededDate(store, DAILY_DAG).finally(() => store.close());
  if (!latest) {
    throw new UsageError(
      `models run needs --vars logical_date=YYYY-MM-DD: no daily run has succeeded yet (fintech-etl runs), so there is no date to build the marts as of`,
    );
  }
  context.say(`logical_date ${latest}: the latest succeeded daily run (fintech-etl runs)`);
  return { ...given, logical_date: latest };
}

interface RunFlags {
  select?: string;
  fullRefresh?: boolean;
  vars?: Record<string, unknown>;
}

export function registerModelsCommand(program: Command, context: CliContext): void {
  const models = program.command('models').description('build, test and document the warehouse models');

  models
    .command('run')
    .description('build the selected models (seeds first), in graph order')
    .option('--select <selector>', 'models to build: name, +name, name+, tag:x (space-separated union)')
    .option('--full-refresh', 'rebuild incremental models from scratch')
    .option(
      '--vars <k=v>',
      'template variable, e.g. logical_date=2024-01-31 (repeatable; logical_date defaults to the latest succeeded run)',
      collectVars,
    )
    .action(async (flags: RunFlags) => {
      const config = context.config();
      const result = await withWarehouse(context, async (warehouse) => {
        const vars = await varsWithLogicalDate(flags.vars, context);
        const project = loadProject(config.projectDir, { vars });
        await refreshSilverViewsOfLake(context, warehouse);
        return runModels({
          warehouse,
          project,
          select: flags.select,
          vars,
          fullRefresh: flags.fullRefresh,
          concurrency: config.models.concurrency,
          onResult: (m) => {
            const status = m.status === 'success' ? 'OK  ' : m.status === 'error' ? 'FAIL' : 'SKIP';
            context.say(
              `${status} ${m.relation.padEnd(40)} ${m.materialized.padEnd(12)} ${m.seconds.toFixed(2)}s  ${m.error ?? m.action ?? ''}`,
            );
          },
        });
      });
      if (context.options().json) context.emitJson(result);
      const failed = result.models.filter((m) => m.status !== 'success');
      context.say(
        `${result.models.length - failed.length} of ${result.models.length} models built (run ${result.runId})`,
      );
      if (!result.ok) throw new PipelineError(`${failed.length} model(s) failed or were skipped`);
    });

  models
    .command('test')
    .description('run the tests of the selected models; failures are stored in audit.test_failures')
    .option('--select <selector>', 'models whose tests run (default: all tests)')
    .option('--vars <k=v>', 'template variable (repeatable)', collectVars)
    .action(async (flags: RunFlags) => {
      const project = loadProject(context.config().projectDir, { vars: flags.vars });
      const result = await withWarehouse(context, (warehouse) =>
        testModels({
          warehouse,
          project,
          select: flags.select,
          vars: flags.vars,
          onResult: (t) => {
            const status = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', error: 'ERROR' }[t.status];
            const detail = t.status === 'error' ? t.message : t.failures ? `${t.failures} failing rows` : '';
            context.say(`${status.padEnd(5)} ${t.name}  ${detail}`);
          },
        }),
      );
      if (context.options().json) context.emitJson(result);
      const bad = result.tests.filter((t) => t.status === 'fail' || t.status === 'error').length;
      context.say(`${result.tests.length} tests, ${bad} failed (run ${result.runId})`);
      if (!result.ok)
        throw new PipelineError(`${bad} error-severity test(s) failed; see audit.test_failures`);
    });

  models
    .command('docs')
    .description('write the lineage graph (models, sources, seeds, columns, edges) as JSON')
    .option('--out <file>', 'JSON file to write (default: <home>/lineage.json)')
    .action(async (flags: { out?: string }) => {
      const config = context.config();
      const project = loadProject(config.projectDir);
      const dialect = { engine: config.warehouseTarget.kind, dispatchOrder: [], quoteRelation: () => '' };
      const lineage = buildLineage(project, new ModelCompiler(project, dialect, {}));
      const out = flags.out ? resolve(flags.out) : join(config.home, 'lineage.json');
      writeFileSync(out, `${JSON.stringify(lineage, null, 2)}\n`);
      if (context.options().json) context.emitJson(lineage);
      context.say(formatLineage(lineage));
      context.say(`lineage written to ${out}`);
    });
}
