/**
 * Pipeline: the run grid (logical dates × tasks, coloured by state, tries shown) from the control plane's state
 * store, a run's tries, logs and failure report on click (pipeline-run-detail.ts), `plan` for the dates of the
 * range (pipeline-plan.ts), the workers the store records, and — for the operator — buttons that start
 * `fintech-etl run` or `backfill` (pipeline-actions.ts). Reads only; whatever writes the state (the CLI, the
 * scheduler, workers) shows on the next load.
 */
import { addDays, type IsoDate } from '../../core/dates.ts';
import { readPlanSnapshot } from '../../orchestrator/state/plan-snapshot.ts';
import type { RunState } from '../../orchestrator/state/state-store.ts';
import { NoDataYet } from '../data/gold-database.ts';
import type { WebPage } from '../page-registry.ts';
import { backfillAction, rerunAction } from './pipeline-actions.ts';
import { pipelinePlan } from './pipeline-plan.ts';
import { pipelineRunDetail } from './pipeline-run-detail.ts';
import { buildRunGrid } from './run-grid.ts';

const DEFAULT_DAYS = 30;
/** Recent runs looked at to find the DAGs and the latest logical date when the URL names neither. */
const RECENT_RUNS = 200;

export const pipelinePage: WebPage = {
  id: 'pipeline',
  path: '/pipeline',
  title: 'Pipeline',
  summary:
    'Every run of the daily DAG by logical date and task, from the state store; click a cell for its tries and log.',
  charts: false,
  body: `
<form class="filters" method="get" action="/pipeline">
  <label>Logical dates from <input type="date" name="from"></label>
  <label>to <input type="date" name="to"></label>
  <label>DAG <select name="dag"></select></label>
  <button type="submit">Apply</button>
  <a class="reset" href="/pipeline">Reset</a>
</form>
<section class="card" id="operator"></section>
<section class="card" id="run-detail" hidden></section>
<section class="card">
  <h2>Runs</h2>
  <p class="hint" id="grid-hint"></p>
  <div id="grid-legend" class="legend"></div>
  <div id="grid"></div>
</section>
<section class="card"><h2>Plan</h2><p class="hint">What <code>fintech-etl plan</code> says for these dates: what a run would do, and why.</p><div id="plan"></div></section>
<section class="card"><h2>Workers</h2><div id="workers"></div></section>`,

  async load(query, data) {
    const requested = query.requestedRange();
    const store = await data.runs.store();
    const recent = store ? await store.listRuns({ limit: RECENT_RUNS }) : [];
    const configured = data.runs.dag;
    const dags = [...new Set([...recent.map((run) => run.dag), ...(configured ? [configured.name] : [])])];
    // The DAG that ran last, unless the URL names one: the state may hold DAGs the server was not told about.
    const dag = query.oneOf('dag', dags) || recent[0]?.dag || configured?.name;
    const bronze = await data.lake.bronze();
    const latestRun = recent
      .filter((run) => run.dag === dag)
      .reduce<IsoDate | undefined>(
        (max, run) => (!max || run.logicalDate > max ? run.logicalDate : max),
        undefined,
      );
    const latest = [latestRun, bronze.latest, requested.to]
      .filter((date): date is IsoDate => date !== undefined)
      .sort()
      .at(-1);
    if (!latest) throw new NoDataYet(['runs', 'bronze']);
    const range = requested.resolve(latest, DEFAULT_DAYS);
    const now = new Date();
    const snapshot = store
      ? await readPlanSnapshot(store, dag ?? '', range.from, range.to)
      : { runs: [], taskInstances: [], freshness: [], silverWrites: [] };
    const dates: IsoDate[] = [];
    for (let date = range.to; date >= range.from; date = addDays(date, -1)) dates.push(date);
    const grid = buildRunGrid({
      dates,
      runs: snapshot.runs,
      instances: snapshot.taskInstances,
      ...(configured && configured.name === dag ? { order: configured.order } : {}),
      now,
      heartbeatTimeoutMs: data.runs.heartbeatTimeoutMs,
    });
    const plan = await pipelinePlan({
      data,
      dag: { name: dag ?? '', order: grid.tasks },
      from: range.from,
      to: range.to,
      snapshot,
      bronze,
      now,
    });
    const states: Partial<Record<RunState | 'not run', number>> = {};
    for (const row of grid.rows) {
      const state = row.run?.state ?? 'not run';
      states[state] = (states[state] ?? 0) + 1;
    }
    const workers = await data.runs.workers();
    return {
      dag: dag ?? null,
      latest,
      filters: { ...range, dag: dag ?? '' },
      options: { dag: dags },
      state_store: store ? { kind: store.kind } : null,
      grid,
      states,
      plan,
      workers:
        workers?.map((worker) => ({
          id: worker.id,
          host: worker.host,
          pid: worker.pid,
          running: worker.running,
          started_at: worker.startedAt.toISOString(),
          heartbeat_at: worker.heartbeatAt.toISOString(),
          alive: now.getTime() - worker.heartbeatAt.getTime() <= data.runs.heartbeatTimeoutMs,
        })) ?? null,
      launches: data.launcher.list(),
    };
  },

  endpoints: { run: pipelineRunDetail },
  actions: { rerun: rerunAction, backfill: backfillAction },
};
