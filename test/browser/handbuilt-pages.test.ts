/**
 * The web app in Chromium on a lake built from the hand-built dataset (test/fixtures/handbuilt), whose every
 * figure is known by hand: KPI tiles, table rows and one tooltip per chart equal those figures; a run that
 * finishes while the server runs shows on the next page load; no page logs a console error; no response holds a
 * card number. Screenshots of every page go to test/browser/output/handbuilt/.
 */

import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/core/dates.ts';
import { runDag } from '../../src/orchestrator/execution/run-dag.ts';
import { SqliteStateStore } from '../../src/orchestrator/state/sqlite/sqlite-state-store.ts';
import { type RunningWebServer, startWebServer } from '../../src/web/start-web-server.ts';
import { EXPECTED_LEDGER, EXPECTED_SALES, INGEST_DATES } from '../fixtures/handbuilt/expected-marts.ts';
import {
  browserSkipReason,
  chartCategories,
  chartValues,
  figureOf,
  graphNodeCenter,
  graphNodeIds,
  hoverTooltip,
  launchChromium,
  openPage,
  PAN_LIKE,
  saveScreenshot,
  screenshotFolder,
  tableKeys,
  type WatchedPage,
  watchedPage,
} from '../helpers/browser.ts';
import { writeHandbuiltDay } from '../helpers/handbuilt-bronze.ts';
import {
  createPipelineHarness,
  END_TO_END_SETUP_MS,
  expectRunOk,
  type PipelineHarness,
} from '../helpers/pipeline-harness.ts';
import { webTestDag } from '../web/helpers/web-test-dag.ts';

const skip = browserSkipReason();
/** The PANs of the hand-built transactions (Luhn-valid test numbers); none may leave bronze. */
const PANS = ['4111110000000013', '4111110000000021', '4111110000000039', '4111110000000047'];

/** Net amount and transactions per event date, summed from the hand-computed sales rows. */
function salesByDate() {
  const days = new Map<string, { net: number; transactions: number; declined: number }>();
  for (const [date, , , transactions, , , , , net, declined] of EXPECTED_SALES) {
    const day = days.get(date) ?? { net: 0, transactions: 0, declined: 0 };
    day.net += Number(net);
    day.transactions += transactions;
    day.declined += declined;
    days.set(date, day);
  }
  return days;
}

const money = (value: number) => value.toFixed(2);

describe.skipIf(skip)('web app on the hand-built dataset', () => {
  let harness: PipelineHarness;
  let server: RunningWebServer;
  let browser: Browser;
  let watched: WatchedPage;
  const serverLog: string[] = [];
  const shots = skip ? '' : screenshotFolder('handbuilt');
  const url = (path: string) => new URL(path, server.url).toString();

  beforeAll(async () => {
    harness = await createPipelineHarness();
    for (const day of INGEST_DATES.slice(0, 3)) {
      await writeHandbuiltDay(harness.lake, day as IsoDate);
      expectRunOk(await harness.run(day as IsoDate));
    }
    server = await startWebServer({
      config: harness.config,
      lake: harness.lake,
      port: 0,
      log: (line) => serverLog.push(line),
    });
    browser = await launchChromium();
    watched = await watchedPage(browser);
  }, END_TO_END_SETUP_MS);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await harness?.close();
  });

  const tile = (id: string) => watched.page.locator(`[data-kpi="${id}"] .value`).textContent();

  it('shows the latest logical date, and the next run without a restart', async () => {
    expect(await openPage(watched.page, url('/'))).toBe('true');
    // 2025-02-01: T9 (200,000, fraud) and T10 (9,000); T99 of the day's 5 bronze rows was quarantined.
    expect(await watched.page.locator('#kpi-context').textContent()).toContain('Sat, 1 Feb 2025');
    expect(figureOf((await tile('transactions'))!)).toBe('2');
    expect(figureOf((await tile('purchase_amount'))!)).toBe('209000.00');
    expect(figureOf((await tile('net_amount'))!)).toBe('209000.00');
    expect(figureOf((await tile('approval_rate'))!)).toBe('100.00');
    expect(figureOf((await tile('fraud_rate'))!)).toBe('50.00');
    expect(figureOf((await tile('quarantine_rate'))!)).toBe('20.00');

    await writeHandbuiltDay(harness.lake, '2025-02-02' as IsoDate);
    expectRunOk(await harness.run('2025-02-02' as IsoDate));
    expect(await openPage(watched.page, url('/'))).toBe('true');
    // 2025-02-02: T12 (6,000) and T13 (declined); nothing quarantined; no data a week before (2025-01-26).
    expect(await watched.page.locator('#kpi-context').textContent()).toContain('Sun, 2 Feb 2025');
    expect(figureOf((await tile('transactions'))!)).toBe('2');
    expect(figureOf((await tile('purchase_amount'))!)).toBe('6000.00');
    expect(figureOf((await tile('net_amount'))!)).toBe('6000.00');
    expect(figureOf((await tile('approval_rate'))!)).toBe('50.00');
    expect(figureOf((await tile('fraud_rate'))!)).toBe('0.00');
    expect(figureOf((await tile('quarantine_rate'))!)).toBe('0.00');
    expect(await watched.page.locator('[data-kpi="net_amount"] .change').textContent()).toBe(
      'no figure a week before',
    );
    expect(await tableKeys(watched.page, 'ledger')).toEqual([...INGEST_DATES].reverse());
  });

  it('shows daily sales, by category and channel, equal to the hand-computed marts', async () => {
    await openPage(watched.page, url('/sales'));
    const days = salesByDate();
    for (const [date, day] of days) {
      const row = watched.page.locator(`[data-table="days"] tr[data-key="${date}"]`);
      expect(figureOf((await row.locator('[data-col="net_amount"]').textContent())!), date).toBe(
        money(day.net),
      );
      expect(figureOf((await row.locator('[data-col="transactions"]').textContent())!), date).toBe(
        String(day.transactions),
      );
    }
    const dates = await chartCategories(watched.page, 'chart-daily');
    const daily = await hoverTooltip(watched.page, 'chart-daily', 0, dates.indexOf('2025-01-30'));
    expect(daily.title).toBe('Thu, 30 Jan 2025');
    expect(figureOf(daily.rows['Net amount']!)).toBe('35000.00');
    const byCategory = await hoverTooltip(watched.page, 'chart-category', 0, dates.indexOf('2025-01-31'));
    expect(figureOf(byCategory.rows['dining']!)).toBe('-8000.00');
    expect(figureOf(byCategory.rows['grocery']!)).toBe('12000.00');
    const byChannel = await hoverTooltip(watched.page, 'chart-channel', 0, dates.indexOf('2025-02-01'));
    expect(figureOf(byChannel.rows['online']!)).toBe('200000.00');
    expect(figureOf(byChannel.rows['pos']!)).toBe('9000.00');
    expect(figureOf((await watched.page.locator('[data-total="net_amount"] .value').textContent())!)).toBe(
      money([...days.values()].reduce((sum, day) => sum + day.net, 0)),
    );
  });

  it('lists the last runs of the state store on the Overview, each a link to its run on the Pipeline page', async () => {
    const store = new SqliteStateStore(join(harness.home, 'state.db'));
    const run = await runDag({
      dag: webTestDag({ flakyLoad: true }),
      store,
      logicalDate: '2025-02-02' as IsoDate,
      logsDir: join(harness.home, 'logs'),
    });
    // The harness's daily runs are in the same state store: the page lists them all, newest first.
    const recorded = (await store.listRuns({})).map((each) => each.runId);
    await store.close();
    await openPage(watched.page, url('/'));
    const listed = await tableKeys(watched.page, 'last-runs');
    expect(listed[0]).toBe(run.runId);
    expect(listed).toEqual(recorded.slice(0, listed.length));
    expect(listed.length).toBeGreaterThan(1);
    const row = watched.page.locator(`[data-table="last-runs"] tr[data-key="${run.runId}"]`);
    expect(await row.locator('[data-col="state"]').textContent()).toBe('success');
    await row.locator('[data-col="logical_date"] a').click();
    await watched.page.waitForURL(/\/pipeline\?run=/);
    await expect
      .poll(() => watched.page.locator('#run-detail h2').textContent())
      .toContain('Sun, 2 Feb 2025');
    expect(
      await watched.page
        .locator('[data-table="tries"] tr[data-key="load/1"] [data-col="error"]')
        .textContent(),
    ).toContain('connection refused');
  });

  it('narrows every chart and the table with a filter kept in the URL, and the back button undoes it', async () => {
    await openPage(watched.page, url('/sales'));
    await watched.page.selectOption('select[name="category"]', 'dining');
    await watched.page.waitForURL(/category=dining/);
    await watched.page.waitForSelector('body[data-ready="true"]');
    const row = watched.page.locator('[data-table="days"] tr[data-key="2025-01-30"] [data-col="net_amount"]');
    expect(figureOf((await row.textContent())!)).toBe('25000.00');
    const dates = await chartCategories(watched.page, 'chart-daily');
    const daily = await hoverTooltip(watched.page, 'chart-daily', 0, dates.indexOf('2025-01-30'));
    expect(figureOf(daily.rows['Net amount']!)).toBe('25000.00');
    const byCategory = await hoverTooltip(watched.page, 'chart-category', 0, dates.indexOf('2025-01-31'));
    expect(byCategory.rows).toEqual({ dining: '-₩8,000.00' });
    const byChannel = await hoverTooltip(watched.page, 'chart-channel', 0, dates.indexOf('2025-01-30'));
    expect(byChannel.rows).toEqual({ pos: '₩25,000.00', online: '₩0.00' });
    expect(await watched.page.inputValue('select[name="category"]')).toBe('dining');

    await watched.page.goBack();
    await watched.page.waitForSelector('body[data-ready="true"]');
    expect(new URL(watched.page.url()).search).toBe('');
    expect(figureOf((await row.textContent())!)).toBe('35000.00');
  });

  it('shows RFM segments, cohorts, lifetime value and top customers as computed by hand', async () => {
    await openPage(watched.page, url('/customers'));
    const segments = await hoverTooltip(watched.page, 'chart-segments', 0, 0);
    expect(segments.title).toBe('Champions');
    expect(segments.rows).toEqual({ Customers: '1', 'Net value': '₩18,000.00' });
    const cohort = await hoverTooltip(watched.page, 'chart-cohorts', 0, 1);
    expect(cohort.title).toBe('Jan 2025 cohort, month 1');
    expect(cohort.rows['Retention']).toBe('66.67%');
    expect(cohort.rows['Active customers']).toBe('2 of 3');
    expect(await tableKeys(watched.page, 'top-customers')).toEqual(['C4', 'C1', 'C2', 'C3']);
    const c2 = watched.page.locator('[data-table="top-customers"] tr[data-key="C2"]');
    expect(figureOf((await c2.locator('[data-col="net_revenue"]').textContent())!)).toBe('21000.00');
    expect(figureOf((await c2.locator('[data-col="projected_12m_value"]').textContent())!)).toBe('126000.00');
    const ltvBins = (await chartValues(watched.page, 'chart-ltv')) as number[];
    expect(ltvBins.reduce((sum, customers) => sum + customers, 0)).toBe(4);
    const lastBin = await hoverTooltip(watched.page, 'chart-ltv', 0, ltvBins.length - 1);
    expect(lastBin.title).toMatch(/^≥ ₩/);
    expect(lastBin.rows['Customers']).toBe('1');
  });

  it('shows fraud by day, category, channel and country', async () => {
    await openPage(watched.page, url('/fraud'));
    const dates = await chartCategories(watched.page, 'chart-day');
    const day = await hoverTooltip(watched.page, 'chart-day', 0, dates.indexOf('2025-02-01'));
    expect(figureOf(day.rows['Fraud amount']!)).toBe('200000.00');
    expect(day.rows['Fraud rate']).toBe('50.00% (1 of 2)');
    const categories = await chartCategories(watched.page, 'chart-category');
    const lodging = await hoverTooltip(watched.page, 'chart-category', 0, categories.indexOf('lodging'));
    expect(lodging.rows['Fraud rate']).toBe('100.00% (1 of 1)');
    const channels = await hoverTooltip(watched.page, 'chart-channel', 0, 1);
    expect(channels.title).toBe('online');
    // Online: T2 (reversed), T7 (a refund) and T9 (fraud).
    expect(channels.rows['Fraud rate']).toBe('33.33% (1 of 3)');
    const country = await hoverTooltip(watched.page, 'chart-country', 0, 0);
    expect(country.title).toBe('US');
    expect(figureOf(country.rows['Fraud amount']!)).toBe('200000.00');
    const us = watched.page.locator('[data-table="countries"] tr[data-key="US"]');
    expect(await us.locator('[data-col="fraud_rate"]').textContent()).toBe('100.00%');
  });

  it('lists merchants with their figures, sortable, with a sparkline each', async () => {
    await openPage(watched.page, url('/merchants'));
    expect(await tableKeys(watched.page, 'merchants')).toEqual(['M3', 'M1', 'M2']);
    const m2 = watched.page.locator('[data-table="merchants"] tr[data-key="M2"]');
    expect(figureOf((await m2.locator('[data-col="purchase_amount"]').textContent())!)).toBe('29000.00');
    expect(figureOf((await m2.locator('[data-col="refund_amount"]').textContent())!)).toBe('8000.00');
    expect(figureOf((await m2.locator('[data-col="net_amount"]').textContent())!)).toBe('21000.00');
    expect(await m2.locator('svg.sparkline polyline').count()).toBe(1);
    await watched.page.click('[data-table="merchants"] th a:text("Merchant")');
    await watched.page.waitForURL(/sort=merchant_id/);
    await watched.page.waitForSelector('body[data-ready="true"]');
    expect(await tableKeys(watched.page, 'merchants')).toEqual(['M3', 'M2', 'M1']);
  });

  it('shows the ledger equation, the quarantine with the PAN masked, and late arrivals', async () => {
    await openPage(watched.page, url('/data-health'));
    for (const [date, [bronze, inserted, superseded, duplicates, quarantined]] of Object.entries(
      EXPECTED_LEDGER,
    )) {
      const row = watched.page.locator(`[data-table="ledger"] tr[data-key="${date}"]`);
      const cells = await Promise.all(
        ['bronze_rows', 'inserted', 'superseded', 'duplicates', 'quarantined'].map((col) =>
          row.locator(`[data-col="${col}"]`).textContent(),
        ),
      );
      expect(
        cells.map((cell) => Number(figureOf(cell!))),
        date,
      ).toEqual([bronze, inserted, superseded, duplicates, quarantined]);
      expect(await row.locator('[data-col="balanced"]').textContent()).toBe('✓ yes');
    }
    const ledger = await hoverTooltip(watched.page, 'chart-ledger', 0, INGEST_DATES.indexOf('2025-01-31'));
    expect(ledger.rows).toMatchObject({
      Inserted: '3',
      Superseded: '1',
      Duplicates: '1',
      Quarantined: '0',
      'Bronze rows': '5',
    });
    const reasons = await hoverTooltip(watched.page, 'chart-reasons', 0, 0);
    expect(reasons.title).toBe('non positive amount');
    expect(reasons.rows['Records']).toBe('1');
    // Late (event date before the ingest date), superseding versions included: T4's correction 1 day (01-31),
    // T8 2 days (01-31), T5's move and T2's reversal 3 days (02-01, 02-02), T11 11 days (02-01).
    expect(await chartCategories(watched.page, 'chart-late')).toEqual(['1', '2', '3', '11']);
    expect(await chartValues(watched.page, 'chart-late')).toEqual([1, 1, 2, 1]);
    const three = await hoverTooltip(watched.page, 'chart-late', 0, 2);
    expect(three).toEqual({ title: '3 days late', rows: { 'Late rows': '2' } });
    const sample = watched.page.locator('[data-table="samples"] tbody tr');
    expect(await sample.count()).toBe(1);
    const raw = (await sample.locator('[data-col="raw_record"]').textContent())!;
    expect(raw).toContain('"T99"');
    expect(raw).toMatch(/411111\*{6}\d{4}/);
    expect(raw).not.toMatch(PAN_LIKE);
  });

  it('shows the quality gate per ingest date with observed values, linking to its data docs', async () => {
    await openPage(watched.page, url('/data-health'));
    expect(await tableKeys(watched.page, 'quality-days')).toEqual([...INGEST_DATES].reverse());
    const day = watched.page.locator('[data-table="quality-days"] tr[data-key="2025-01-30"]');
    expect(await day.locator('[data-col="outcome"]').textContent()).toBe('passed');
    expect(await day.locator('[data-col="counts"]').textContent()).toBe(
      '47 passed, 0 failed, 0 warned, 6 not evaluated',
    );
    expect(await watched.page.locator('#quality-latest-title').textContent()).toBe(
      'Every expectation of Sun, 2 Feb 2025',
    );
    const lengths = watched.page.locator(
      '[data-table="quality-results"] tr[data-key="cards/expect_column_value_lengths_to_be_between(card_token)/snapshot_date=2025-02-02"]',
    );
    expect(await lengths.locator('[data-col="observed"]').textContent()).toBe('0');
    expect(await lengths.locator('[data-col="details"]').textContent()).toBe(
      '0 of 4 values have a length outside [64, 64] (0%); none allowed',
    );
    // The data docs page: its own stylesheet allowed by hash, nothing refused by the policy.
    const docs = await watchedPage(browser);
    const href = (await watched.page
      .locator('[data-table="quality-days"] tr[data-key="2025-02-02"] [data-col="docs"] a')
      .getAttribute('href'))!;
    await docs.page.goto(url(href));
    expect(await docs.page.locator('h1').textContent()).toBe('Data docs · ingest date 2025-02-02');
    expect(await docs.page.locator('h1').evaluate((h1) => getComputedStyle(h1).fontSize)).toBe('22.4px');
    await docs.page.locator('a:text("all runs")').click();
    await docs.page.waitForURL(/\/data-docs\/index\.html$|\/data-docs\/$/);
    expect(docs.problems).toEqual([]);
    await docs.page.close();
  });

  it('draws the model graph and shows a model’s docs on a click, with a working back button', async () => {
    await openPage(watched.page, url('/lineage'));
    const nodes = await graphNodeIds(watched.page, 'chart-lineage');
    expect(nodes).toEqual(expect.arrayContaining(['source.silver.transactions', 'model.fact_transactions']));
    const index = nodes.indexOf('model.mart_sales_daily');
    const tooltip = await hoverTooltip(watched.page, 'chart-lineage', 0, index);
    expect(tooltip.rows['relation']).toBe('marts.mart_sales_daily');
    await watched.page.mouse.click(...(await graphNodeCenter(watched.page, 'chart-lineage', index)));
    await watched.page.waitForURL(/node=model\.mart_sales_daily/);
    const docs = watched.page.locator('#node-docs');
    await expect.poll(() => docs.locator('h2').textContent()).toContain('mart_sales_daily');
    expect(await docs.locator('pre.sql').textContent()).toContain(
      'group by event_date, merchant_category, channel',
    );
    expect(await docs.locator('ul.tests').textContent()).toContain(
      'expression_is_true (net_amount = purchase_amount - refund_amount)',
    );
    expect(await docs.locator('[data-table="columns"] tr[data-key="approval_rate"]').textContent()).toContain(
      'accepted_range',
    );
    await docs.locator('a[data-node="model.fact_transactions"]').click();
    await watched.page.waitForURL(/node=model\.fact_transactions/);
    await watched.page.goBack();
    await watched.page.waitForURL(/node=model\.mart_sales_daily/);
    await expect.poll(() => docs.locator('h2').textContent()).toContain('mart_sales_daily');
  });

  it('loads every page without a console error, inline script or card number, and saves a screenshot', async () => {
    const pages = [
      '/',
      '/sales',
      '/customers',
      '/fraud',
      '/merchants',
      '/data-health',
      '/pipeline',
      '/lineage',
    ];
    for (const path of pages) {
      const fresh = await watchedPage(browser);
      expect(await openPage(fresh.page, url(path)), path).toBe('true');
      await saveScreenshot(fresh.page, shots, path === '/' ? 'overview' : path.slice(1));
      await fresh.page.waitForTimeout(200);
      expect(fresh.problems, path).toEqual([]);
      const html = fresh.responses.find((response) => response.url === url(path))!;
      expect(html.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      for (const response of fresh.responses) {
        for (const pan of PANS) expect(response.body, response.url).not.toContain(pan);
        if (!response.url.includes('/static/vendor/'))
          expect(response.body, response.url).not.toMatch(PAN_LIKE);
      }
      await fresh.page.close();
    }
    expect(serverLog).toEqual([]);
  });

  it('says why when its data cannot be fetched or read, and never stays on "Loading…"', async () => {
    const cut = await watchedPage(browser);
    let tries = 0;
    await cut.page.route('**/api/sales*', (route) => {
      tries++;
      return route.abort('connectionreset');
    });
    expect(await openPage(cut.page, url('/sales'))).toBe('error');
    // A network failure is tried twice more before the page gives up.
    expect(tries).toBe(3);
    expect(await cut.page.locator('#status').textContent()).toBe(
      'The fintech-etl server cannot be reached. Is fintech-etl serve still running?',
    );
    expect(await cut.page.locator('#status code').textContent()).toBe('fintech-etl serve');
    expect(await cut.page.locator('#content').isHidden()).toBe(true);
    await cut.page.close();

    // One failure, then an answer: the page draws as usual.
    const blip = await watchedPage(browser);
    let failed = false;
    await blip.page.route('**/api/sales*', (route) => {
      if (failed) return route.continue();
      failed = true;
      return route.abort('connectionreset');
    });
    expect(await openPage(blip.page, url('/sales'))).toBe('true');
    await blip.page.close();

    const proxy = await watchedPage(browser);
    await proxy.page.route('**/api/sales*', (route) =>
      route.fulfill({ status: 502, contentType: 'text/html', body: '<h1>Bad Gateway</h1>' }),
    );
    expect(await openPage(proxy.page, url('/sales'))).toBe('error');
    expect(await proxy.page.locator('#status').textContent()).toBe(
      "The server answered 502 without the page's data. Reload to try again.",
    );
    await proxy.page.close();
  });
});
