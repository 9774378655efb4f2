/**
 * Stands in for `bin/fintech-etl` in the Pipeline page's launch tests, with the same arguments the web app
 * passes the real CLI (`--home H [--config C] run --date D [--force]`, `backfill --from A --to B`), running the
 * web test DAG the way `run` and `backfill` run the daily one: through the home's state store, under the writer
 * lease, logs under `<home>/logs`. Exits 1 when a date fails, 2 on arguments it does not know.
 */
import { join } from 'node:path';
import { dateRange, type IsoDate, parseIsoDate } from '../../../src/core/dates.ts';
import { runWithWriterLease } from '../../../src/orchestrator/execution/run-with-lease.ts';
import { SqliteStateStore } from '../../../src/orchestrator/state/sqlite/sqlite-state-store.ts';
import { logsDirOf, webTestDag } from './web-test-dag.ts';

const args = process.argv.slice(2);
const take = (flag: string): string | undefined => {
  const at = args.indexOf(flag);
  if (at < 0) return undefined;
  const [value] = args.splice(at, 2).slice(1);
  return value;
};
const home = take('--home');
take('--config');
const force = args.includes('--force');
const command = args[0];
if (!home || (command !== 'run' && command !== 'backfill')) {
  console.error(`stand-in-cli: unknown arguments ${process.argv.slice(2).join(' ')}`);
  process.exit(2);
}
const dates: IsoDate[] =
  command === 'run'
    ? [parseIsoDate(take('--date') ?? '')]
    : dateRange(parseIsoDate(take('--from') ?? ''), parseIsoDate(take('--to') ?? ''));
const store = new SqliteStateStore(join(home, 'state.db'));
// Said before the writer lease is asked for, so a test knows the process got that far.
console.log(`stand-in-cli: ${command} ${dates[0]} … ${dates.at(-1)}, taking the writer lease`);
let failed = false;
for (const logicalDate of dates) {
  const result = await runWithWriterLease({
    dag: webTestDag(),
    store,
    logicalDate,
    logsDir: logsDirOf(home),
    trigger: command === 'run' ? 'manual' : 'backfill',
    waitSeconds: 30,
    ...(force ? { force: true } : {}),
  });
  console.log(`run ${result.runId}  logical date ${logicalDate}: ${result.outcome}`);
  if (result.outcome === 'failed') failed = true;
}
await store.close();
process.exitCode = failed ? 1 : 0;
