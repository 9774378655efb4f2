/**
 * Customers: RFM segment sizes and value (mart_rfm_customer), the cohort retention triangle
 * (mart_cohort_retention), the distribution of lifetime net value and the top customers by it
 * (mart_customer_ltv). Customers appear by id only. The segment filter narrows the distribution and the top list.
 */
import { formatCents, parseCents } from '../../core/money.ts';
import { sqlFile } from '../data/gold-database.ts';
import type { WebData, WebPage } from '../page-registry.ts';

/** The RFM segments in the order of mart_rfm_customer.sql's rules (best first). */
export const SEGMENTS = [
  'Champions',
  'Loyal',
  'Potential Loyalist',
  'New Customers',
  'Need Attention',
  'Cannot Lose Them',
  'At Risk',
  'Hibernating',
] as const;

const TOP_CUSTOMERS = 20;
const TARGET_BINS = 20;

export const customersPage: WebPage = {
  id: 'customers',
  path: '/customers',
  title: 'Customers',
  summary: 'RFM segments, monthly cohort retention and lifetime value, as of the latest logical date.',
  charts: true,
  body: `
<form class="filters" method="get" action="/customers">
  <label>Segment <select name="segment"><option value="">All segments</option></select></label>
  <button type="submit">Apply</button>
  <a class="reset" href="/customers">Reset</a>
</form>
<p class="context" id="as-of"></p>
<div class="grid-2">
  <section class="card"><h2>RFM segments</h2><div class="chart" id="chart-segments"></div></section>
  <section class="card"><h2>Cohort retention</h2><p class="hint">Share of each first-purchase month's customers who purchased again N months later.</p><div class="chart" id="chart-cohorts"></div></section>
</div>
<section class="card"><h2>Lifetime net value</h2><p class="hint" id="ltv-hint"></p><div class="chart" id="chart-ltv"></div></section>
<section class="card"><h2>Top customers by lifetime net value</h2><div id="table-top"></div></section>`,

  async load(query, data) {
    const segment = query.oneOf('segment', SEGMENTS);
    const segmentRows = await data.gold.query(sqlFile('customer-segments'));
    const segments = SEGMENTS.map((name) => {
      const row = segmentRows.find((r) => r['segment'] === name);
      return { segment: name, customers: row?.['customers'] ?? 0, monetary: row?.['monetary'] ?? '0.00' };
    });
    const cohorts = await data.gold.query(sqlFile('customer-cohorts'));
    const top = await data.gold.query(sqlFile('customer-top'), { segment, limit: TOP_CUSTOMERS });
    return {
      as_of: segmentRows.map((row) => row['as_of_date']).find(Boolean) ?? null,
      filters: { segment },
      options: { segment: SEGMENTS },
      segments,
      cohorts,
      ltv: await ltvHistogram(data, segment),
      top_customers: top,
    };
  },
};

/** Customers per bin of lifetime net value, bins of a round width up to the 99th percentile, the rest in the last. */
async function ltvHistogram(data: WebData, segment: string) {
  const [range] = await data.gold.query(sqlFile('customer-ltv-range'), { segment });
  const customers = Number(range?.['customers'] ?? 0);
  if (!range || customers === 0) return { customers: 0, bins: [] };
  const lowest = parseCents(String(range['lowest']))!;
  const p99 = parseCents(String(range['p99']))!;
  const low = lowest < 0n ? lowest : 0n;
  const width = roundWidth((p99 - low) / BigInt(TARGET_BINS));
  const firstBin = floorDiv(low, width);
  const lastBin = floorDiv(p99, width);
  const counts = await data.gold.query(sqlFile('customer-ltv-histogram'), {
    segment,
    width_cents: width.toString(),
    last_bin: lastBin.toString(),
  });
  const bins = [];
  for (let bin = firstBin; bin <= lastBin; bin++) {
    const row = counts.find((r) => BigInt(r['bin'] as number) === bin);
    bins.push({
      from: formatCents(bin * width),
      to: bin === lastBin ? null : formatCents((bin + 1n) * width),
      customers: row?.['customers'] ?? 0,
    });
  }
  return { customers, width: formatCents(width), highest: range['highest'], bins };
}

/** The smallest 1, 2 or 5 × 10^k cents at least `raw` (and at least one cent). */
function roundWidth(raw: bigint): bigint {
  for (let power = 1n; ; power *= 10n) {
    for (const step of [1n, 2n, 5n]) if (step * power >= raw && step * power > 0n) return step * power;
  }
}

function floorDiv(value: bigint, divisor: bigint): bigint {
  const quotient = value / divisor;
  return value % divisor !== 0n && value < 0n ? quotient - 1n : quotient;
}
