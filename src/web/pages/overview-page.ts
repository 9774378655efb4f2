/**
 * Overview: the key figures of one logical date (default the latest) against the same weekday a week before,
 * and the ingest dates the ledger says were processed. Transactions, amounts and the approval rate come from
 * mart_sales_daily, the fraud rate from mart_fraud_daily (event date = the logical date), the quarantine rate
 * from the ledger entry of the logical date's bronze partition. The last runs come from the state store.
 */
import { addDays, type IsoDate } from '../../core/dates.ts';
import { redact } from '../../core/redact.ts';
import type { WarehouseRow } from '../../warehouse/warehouse.ts';
import { rateDifference, ratio, relativeChange } from '../data/figures.ts';
import { sqlFile } from '../data/gold-database.ts';
import type { LedgerRow } from '../data/lake-files.ts';
import { latestLogicalDate } from '../data/latest-date.ts';
import type { WebPage } from '../page-registry.ts';
import { ledgerSummary } from './ledger-summary.ts';

export type KpiUnit = 'count' | 'money' | 'rate';

export interface Kpi {
  id: string;
  label: string;
  unit: KpiUnit;
  /** What the figure is of, shown under it. */
  note: string;
  value: string | number | null;
  previous: string | number | null;
  /** relative: (value − previous) ÷ previous; points: value − previous (rates). Both 4-decimal fractions. */
  change: { kind: 'relative' | 'points'; value: string } | null;
  /** Which direction is good news (colours the change). */
  better: 'up' | 'down';
}

const RECENT_LEDGER_DATES = 10;
const RECENT_RUNS = 8;

export const overviewPage: WebPage = {
  id: 'overview',
  path: '/',
  title: 'Overview',
  summary: 'The key figures of a logical date against the same weekday a week before.',
  charts: false,
  body: `
<form class="filters" method="get" action="/">
  <label>Logical date <input type="date" name="date"></label>
  <button type="submit">Show</button>
  <a class="reset" href="/">Latest</a>
</form>
<p class="context" id="kpi-context"></p>
<section class="tiles" id="kpis" aria-label="Key figures"></section>
<section class="card">
  <h2>Last runs</h2>
  <p class="hint">From the control plane's state store; the <a href="/pipeline">Pipeline</a> page has every run, its tries and logs.</p>
  <div id="runs"></div>
</section>
<section class="card">
  <h2>Processed ingest dates</h2>
  <p class="hint">From the reconciliation ledger: every bronze row is inserted, superseded, a duplicate or quarantined.</p>
  <div id="ledger"></div>
</section>`,

  async load(query, data) {
    const requested = query.date('date');
    const latest = await latestLogicalDate(data.gold);
    const day = requested ?? latest;
    const weekBefore = addDays(day, -7);
    const rows = await data.gold.query(sqlFile('overview-kpis'), { day, week_before: weekBefore });
    const current = rows.find((row) => row['event_date'] === day)!;
    const previous = rows.find((row) => row['event_date'] === weekBefore)!;
    const ledger = await data.lake.latestLedgerEntries();
    const store = await data.runs.store();
    const runs = store ? await store.listRuns({ limit: RECENT_RUNS }) : [];
    return {
      date: day,
      latest,
      week_before: weekBefore,
      has_data: current['has_data'] === true,
      kpis: kpis(current, previous['has_data'] === true ? previous : undefined, ledger, day, weekBefore),
      ledger: ledger
        .slice(-RECENT_LEDGER_DATES)
        .reverse()
        .map((row) => ledgerSummary(row)),
      last_runs: runs.map((run) => ({
        run_id: run.runId,
        dag: run.dag,
        logical_date: run.logicalDate,
        state: run.state,
        trigger: run.trigger,
        started_at: run.startedAt.toISOString(),
        finished_at: run.finishedAt?.toISOString() ?? null,
        error: run.error ? redact(run.error) : null,
      })),
    };
  },
};

function kpis(
  current: WarehouseRow,
  previous: WarehouseRow | undefined,
  ledger: LedgerRow[],
  day: IsoDate,
  weekBefore: IsoDate,
): Kpi[] {
  const figure = (row: WarehouseRow | undefined, column: string) =>
    row ? (row[column] as string | number) : null;
  const amount = (id: string, label: string, column: string, note: string): Kpi => {
    const value = figure(current, column);
    const before = figure(previous, column);
    const change = relativeChange(value, before);
    return {
      id,
      label,
      unit: id === 'transactions' ? 'count' : 'money',
      note,
      value,
      previous: before,
      change: change === null ? null : { kind: 'relative', value: change },
      better: 'up',
    };
  };
  const rate = (
    id: string,
    label: string,
    note: string,
    better: Kpi['better'],
    of: (row: WarehouseRow) => string | null,
    ofLedger?: (date: IsoDate) => string | null,
  ): Kpi => {
    const value = ofLedger ? ofLedger(day) : of(current);
    const before = ofLedger ? ofLedger(weekBefore) : previous ? of(previous) : null;
    const change = rateDifference(value, before);
    return {
      id,
      label,
      unit: 'rate',
      note,
      value,
      previous: before,
      change: change === null ? null : { kind: 'points', value: change },
      better,
    };
  };
  const quarantineRate = (date: IsoDate) => {
    const entry = ledger.find((row) => row.entry.ingest_date === date)?.entry;
    return entry ? ratio(entry.quarantined, entry.bronze_rows) : null;
  };
  return [
    amount('transactions', 'Transactions', 'transactions', 'all statuses, by event date'),
    amount('purchase_amount', 'Purchase amount', 'purchase_amount', 'approved purchases'),
    amount('net_amount', 'Net amount', 'net_amount', 'purchases − refunds'),
    rate('approval_rate', 'Approval rate', 'transactions not declined', 'up', (row) =>
      ratio(row['not_declined'] as number, row['transactions'] as number),
    ),
    rate('fraud_rate', 'Fraud rate', 'transactions labelled fraud', 'down', (row) =>
      ratio(row['fraud_count'] as number, row['fraud_base'] as number),
    ),
    rate(
      'quarantine_rate',
      'Quarantine rate',
      "of the ingest date's bronze rows",
      'down',
      () => null,
      quarantineRate,
    ),
  ];
}
