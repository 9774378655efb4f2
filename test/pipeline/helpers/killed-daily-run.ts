/**
 * Child process of the kill tests: the DAG `daily_batch_etl` for one date on a test home (its fintech-etl.yaml
 * names the warehouse), through the same runner as `fintech-etl run`, SIGKILLed by its own event sink at the
 * kill point given as JSON (the runner's sink sees each task's events and the warehouse's statements, as the CLI's
 * FINTECH_ETL_KILL_AT does). Reaching the end alive exits 3: the kill point was never reached, which the test
 * reports.
 *
 *   tsx killed-daily-run.ts <home> <date> '<KillPoint JSON>'
 */
import { join } from 'node:path';
import { createDailyRunner } from '../../../pipeline/dag/daily-runner.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import type { IsoDate } from '../../../src/core/dates.ts';
import type { PipelineEvent } from '../../../src/core/pipeline-event.ts';
import { openLake } from '../../../src/lake/open-lake.ts';
import { openStateStore } from '../../../src/orchestrator/state/open-state-store.ts';
import { loadSuites } from '../../../src/quality/load-suites.ts';
import { openWarehouse } from '../../../src/warehouse/open-warehouse.ts';
import { type KillPoint, killingSink } from './kill-point.ts';

const [home, date, point] = process.argv.slice(2) as [string, IsoDate, string];
const config = loadConfig({ home, cwd: home, env: {} });
const killing = killingSink(JSON.parse(point) as KillPoint);
const lake = await openLake(config);
const store = await openStateStore(config, { env: {} });
const runner = createDailyRunner({
  config,
  lake,
  store,
  suites: loadSuites(config.qualitySuitesDir),
  openWarehouse: (events) => openWarehouse(config, { env: {}, events }),
  logsDir: join(home, 'logs'),
  events: { emit: (event) => killing.emit(event as unknown as PipelineEvent) },
});
const result = await runner.runDate(date);
await runner.close();
await store.close();
await lake.close();
console.error(
  `the kill point was not reached; the run ended ${result.outcome}: ${result.tasks.map((task) => `${task.task} ${task.state}`).join(', ')}`,
);
process.exit(3);
