/**
 * Opens what a pipeline command needs (config, lake, warehouse, model project) once, and closes the warehouse
 * however the command ends. The CLI is the one place where implementations are chosen and wired.
 */
import type { IsoDate } from '../core/dates.ts';
import type { DailyRunResult } from '../orchestrator/daily-run.ts';
import { openWarehouse } from '../warehouse/open-warehouse.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import type { CliContext } from './cli-context.ts';
import { renderEvents } from './render-events.ts';

export interface Pipeline {
  warehouse: Warehouse;
  runDaily(logicalDate: IsoDate, options?: { acceptQualityFailures?: boolean }): Promise<DailyRunResult>;
}

export async function withPipeline<T>(
  context: CliContext,
  fn: (pipeline: Pipeline) => Promise<T>,
): Promise<T> {
  const config = context.config();
  const lake = await context.lake();
  // Imported here, not at the top: `--help` and the light commands do not load the whole pipeline and DuckDB.
  const { runDaily } = await import('../orchestrator/daily-run.ts');
  const events = renderEvents();
  const warehouse = await openWarehouse(config, { events });
  try {
    return await fn({
      warehouse,
      runDaily: (logicalDate, options = {}) =>
        runDaily({
          config,
          lake,
          warehouse,
          logicalDate,
          events,
          acceptQualityFailures: options.acceptQualityFailures,
        }),
    });
  } finally {
    await warehouse.close();
  }
}
