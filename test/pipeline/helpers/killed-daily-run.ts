/**
 * Child process of the kill tests: the daily run of one date on a test home (its fintech-etl.yaml names the
 * warehouse), SIGKILLed by its own event sink at the kill point given as JSON. Reaching the end alive exits 3:
 * the kill point was never reached, which the test reports.
 *
 *   tsx killed-daily-run.ts <home> <date> '<KillPoint JSON>'
 */
import { loadConfig } from '../../../src/config/load-config.ts';
import type { IsoDate } from '../../../src/core/dates.ts';
import { openLake } from '../../../src/lake/open-lake.ts';
import { runDaily } from '../../../src/orchestrator/daily-run.ts';
import { openWarehouse } from '../../../src/warehouse/open-warehouse.ts';
import { type KillPoint, killingSink } from './kill-point.ts';

const [home, date, point] = process.argv.slice(2) as [string, IsoDate, string];
const config = loadConfig({ home, cwd: home, env: {} });
const events = killingSink(JSON.parse(point) as KillPoint);
const lake = await openLake(config);
const warehouse = await openWarehouse(config, { env: {}, events });
const result = await runDaily({ config, lake, warehouse, logicalDate: date, events });
await warehouse.close();
await lake.close();
console.error(
  `the kill point was not reached; the run ended ${result.ok ? 'ok' : 'failed'}: ${result.tasks.map((task) => `${task.task} ${task.status}`).join(', ')}`,
);
process.exit(3);
