/**
 * Data health: per ingest date the ledger equation (bronze rows = inserted + superseded + duplicates +
 * quarantined), the quarantine by reason code with sample records (PAN masked), late arrivals by days late, and
 * the quality gate's results with observed values (quality-summary.ts). The counts come from the ledger entries
 * in the lake, the samples from the quarantine's Parquet files, the gate's results from its run records.
 */
import { REASON_CODES } from '../../core/reason-codes.ts';
import { redact } from '../../core/redact.ts';
import { NoDataYet, sqlFile } from '../data/gold-database.ts';
import type { WebPage } from '../page-registry.ts';
import { ledgerSummary } from './ledger-summary.ts';
import { qualitySummary } from './quality-summary.ts';

const SAMPLES = 20;
const DEFAULT_INGEST_DAYS = 30;

export const dataHealthPage: WebPage = {
  id: 'data-health',
  path: '/data-health',
  title: 'Data health',
  summary:
    'Reconciliation of every processed bronze partition, the quarantine and late arrivals, by ingest date.',
  charts: true,
  body: `
<form class="filters" method="get" action="/data-health">
  <label>Ingest dates from <input type="date" name="from"></label>
  <label>to <input type="date" name="to"></label>
  <label>Reason <select name="reason"><option value="">All reasons</option></select></label>
  <button type="submit">Apply</button>
  <a class="reset" href="/data-health">Reset</a>
</form>
<section class="card">
  <h2>Ledger: where every bronze row went</h2>
  <p class="hint">Each bar is one ingest date's bronze partition; its parts add up to the bronze rows read (the run fails if they do not). <span id="ledger-break-note"></span></p>
  <div class="chart" id="chart-ledger"></div>
  <div id="table-ledger"></div>
</section>
<div class="grid-2">
  <section class="card"><h2>Quarantine by reason</h2><p class="hint">A record with several defects counts under each. Click a bar for its samples.</p><div class="chart" id="chart-reasons"></div></section>
  <section class="card"><h2>Late arrivals</h2><p class="hint">Rows that arrived after their event date, by days late.</p><div class="chart" id="chart-late"></div></section>
</div>
<section class="card">
  <h2>Quality gate</h2>
  <p class="hint">The expectation suites run on each ingest date's silver batch before it reaches the warehouse. Each run's data docs page has every result with its sample rows.</p>
  <div id="table-quality-days"></div>
  <details id="quality-latest"><summary id="quality-latest-title"></summary><div id="table-quality-results"></div></details>
</section>
<section class="card"><h2>Quarantined records</h2><p class="hint" id="samples-hint"></p><div id="table-samples"></div></section>`,

  async load(query, data) {
    const requested = query.requestedRange();
    const reason = query.oneOf('reason', REASON_CODES);
    const ledger = await data.lake.latestLedgerEntries();
    const latest = ledger.at(-1)?.entry.ingest_date;
    if (!latest) throw new NoDataYet(['ledger']);
    const range = requested.resolve(latest, DEFAULT_INGEST_DAYS);
    const inRange = ledger.filter(
      ({ entry }) => entry.ingest_date >= range.from && entry.ingest_date <= range.to,
    );
    const byReason = new Map<string, number>();
    const byDaysLate = new Map<number, number>();
    for (const { entry } of inRange) {
      for (const [code, rows] of Object.entries(entry.quarantined_by_reason))
        byReason.set(code, (byReason.get(code) ?? 0) + (rows ?? 0));
      for (const [days, rows] of Object.entries(entry.late_by_days))
        byDaysLate.set(Number(days), (byDaysLate.get(Number(days)) ?? 0) + rows);
    }
    const quality = qualitySummary(await data.lake.qualityRecords(), range);
    const samples = await data.gold.query(sqlFile('quarantine-samples'), {
      ...range,
      reason,
      limit: SAMPLES,
    });
    return {
      latest,
      filters: { ...range, reason },
      options: { reason: REASON_CODES },
      ledger: inRange.map(ledgerSummary),
      quarantine_by_reason: [...byReason]
        .map(([code, rows]) => ({ reason: code, rows }))
        .sort((a, b) => b.rows - a.rows || a.reason.localeCompare(b.reason)),
      late_by_days: [...byDaysLate].sort(([a], [b]) => a - b).map(([days, rows]) => ({ days, rows })),
      quality,
      samples: samples.map((row) => ({ ...row, raw_record: redact(String(row['raw_record'] ?? '')) })),
      sample_limit: SAMPLES,
      earliest: ledger[0]!.entry.ingest_date,
    };
  },
};
