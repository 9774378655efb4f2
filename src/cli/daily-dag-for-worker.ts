/**
 * Registers `daily_batch_etl` for `fintech-etl worker` (listed in dag-modules.ts): the DAG built on the worker's
 * own resources — its config, lake, expectation suites and state store from the CLI context, and the warehouse
 * opened on the first task that needs it, each try joining the writer lock of the run it works for
 * (pipeline/dag/run-writer.ts). Nothing else is shared with the process driving the run: the state store carries
 * the tasks' inputs and outputs, the lake the data.
 */
import { DAILY_DAG, dailyBatchEtl, dailyDagShape } from '../../pipeline/dag/daily-batch-etl.ts';
import { createDailyResources } from '../../pipeline/dag/daily-resources.ts';
import type { Dag } from '../orchestrator/definitions/dag.ts';
import { dagRegistry } from '../orchestrator/definitions/dag-registry.ts';
import { currentProcess } from '../orchestrator/execution/process-identity.ts';
import { loadSuites } from '../quality/load-suites.ts';
import type { CliContext } from './cli-context.ts';
import { assertWarehouseFitsExecutor } from './control-plane.ts';
import { faultHooksFromEnvironment } from './fault-hooks.ts';

export async function dailyDagForWorker(context: CliContext): Promise<Dag> {
  const config = context.config();
  // Bad suites exit 2 when the worker starts, not on its first quality try.
  const suites = loadSuites(config.qualitySuitesDir);
  const lake = await context.lake();
  const store = await context.stateStore();
  const { openWarehouse } = await import('../warehouse/open-warehouse.ts');
  const identity = currentProcess();
  const resources = createDailyResources({
    role: 'worker',
    config,
    lake,
    store,
    suites,
    openWarehouse: async (events) => {
      assertWarehouseFitsExecutor(config);
      return openWarehouse(config, { events });
    },
    holder: `worker process ${identity.pid} on ${identity.host}, home ${config.home}`,
    faults: faultHooksFromEnvironment(),
  });
  context.defer(() => resources.close());
  return dailyBatchEtl(() => resources, dailyDagShape(config));
}

dagRegistry.register(DAILY_DAG, dailyDagForWorker);
