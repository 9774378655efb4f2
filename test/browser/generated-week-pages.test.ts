/**
 * The web app in Chromium on a lake of eight generated days (every fault kind: late, duplicated, corrected and
 * malformed records): every figure a page shows — KPI tiles with their change, table rows, one tooltip per
 * chart — equals the same figure queried from the warehouse's marts and audit tables; filters change every chart
 * and live in the URL; no response holds a card-number-like run. An empty lake shows "no data yet".
 * Screenshots of every page go to test/browser/output/generated-week/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, type IsoDate } from '../../src/core/dates.ts';
import { generateBronze } from '../../src/generate/generate-bronze.ts';
import { LEDGER_TABLE } from '../../src/lake/lake-layout.ts';
import type { LedgerEntry } from '../../src/silver/ledger-entry.ts';
import type { WarehouseRow } from '../../src/warehouse/warehouse.ts';
import { type RunningWebServer, startWebServer } from '../../src/web/start-web-server.ts';
import {
  browserSkipReason,
  cellText,
  chartCategories,
  chartValues,
  figureOf,
  hoverTooltip,
  launchChromium,
  openPage,
  PAN_LIKE,
  percentOf,
  saveScreenshot,
  screenshotFolder,
  tableKeys,
  watchedPage,
} from '../helpers/browser.ts';
import { testSettings } from '../helpers/lake-files.ts';
import {
  createPipelineHarness,
  END_TO_END_SETUP_MS,
  expectRunOk,
  type PipelineHarness,
} from '../helpers/pipeline-harness.ts';

const skip = browserSkipReason();
const FIRST = '2025-03-01' as IsoDate;
const LATEST = '2025-03-08' as IsoDate;
const SETTINGS = testSettings({ rowsPerDay: 2000, customers: 300, merchants: 60 });
/** The pages' default range: the 30 days that end on the latest logical date. */
const RANGE_FROM = addDays(LATEST, -29);

/** A decimal string as cents, to compare and compute money exactly. */
const cents = (amount: unknown) => {
  const [whole, fraction = ''] = String(amount).replace('-', '').split('.');
  const value = BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0'));
  return String(amount).startsWith('-') ? -value : value;
};

describe.skipIf(skip)('web app on a generated week', () => {
  let harness: PipelineHarness;
  let server: RunningWebServer;
  let browser: Browser;
  let page: Page;
  const serverLog: string[] = [];
  const shots = skip ? '' : screenshotFolder('generated-week');
  const url = (path: string) => new URL(path, server.url).toString();
  const query = async (sql: string): Promise<WarehouseRow[]> => (await harness.warehouse.query(sql)).rows;
  const one = async (sql: string): Promise<WarehouseRow> => (await query(sql))[0]!;

  beforeAll(async () => {
    harness = await createPipelineHarness();
    await generateBronze({ lake: harness.lake, settings: SETTINGS, from: FIRST, to: LATEST });
    for (let day = FIRST; day <= LATEST; day = addDays(day, 1)) expectRunOk(await harness.run(day));
    server = await startWebServer({
      config: harness.config,
      lake: harness.lake,
      port: 0,
      log: (line) => serverLog.push(line),
    });
    browser = await launchChromium();
    page = (await watchedPage(browser)).page;
  }, END_TO_END_SETUP_MS);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await harness?.close();
  });

  it('shows the KPIs of the latest date and their change against the same weekday a week before', async () => {
    await openPage(page, url('/'));
    const weekBefore = addDays(LATEST, -7);
    const sales = async (day: IsoDate) =>
      one(`select sum(transaction_count) as transactions, sum(transaction_count - declined_count) as approved,
             sum(purchase_amount) as purchase_amount, sum(net_amount) as net_amount
           from marts.mart_sales_daily where event_date = date '${day}'`);
    const fraud = async (day: IsoDate) =>
      one(`select sum(fraud_count) as fraud, sum(transaction_count) as transactions
           from marts.mart_fraud_daily where event_date = date '${day}'`);
    const ledger = async (day: IsoDate) =>
      one(`select bronze_rows, quarantined from audit.ledger where ingest_date = date '${day}'`);
    const [now, before] = [await sales(LATEST), await sales(weekBefore)];
    const tile = async (id: string) =>
      figureOf((await page.locator(`[data-kpi="${id}"] .value`).textContent())!);
    const change = async (id: string) =>
      /([+-]?[\d.]+) ?(%|pp)/
        .exec((await page.locator(`[data-kpi="${id}"] .change`).textContent())!)!
        .slice(1);
    const relative = (current: bigint, previous: bigint) => {
      const units = ((current - previous) * 20_000n) / previous;
      const rounded = units >= 0n ? (units + 1n) / 2n : (units - 1n) / 2n;
      const abs = rounded < 0n ? -rounded : rounded;
      return `${rounded > 0n ? '+' : rounded < 0n ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
    };

    expect(await tile('transactions')).toBe(String(now['transactions']));
    expect(await change('transactions')).toEqual([
      relative(BigInt(now['transactions'] as number) * 100n, BigInt(before['transactions'] as number) * 100n),
      '%',
    ]);
    expect(await tile('purchase_amount')).toBe(now['purchase_amount']);
    expect(await tile('net_amount')).toBe(now['net_amount']);
    expect(await change('net_amount')).toEqual([
      relative(cents(now['net_amount']), cents(before['net_amount'])),
      '%',
    ]);
    expect(await tile('approval_rate')).toBe(
      percentOf(now['approved'] as number, now['transactions'] as number),
    );
    const [fraudNow, fraudBefore] = [await fraud(LATEST), await fraud(weekBefore)];
    expect(await tile('fraud_rate')).toBe(
      percentOf(fraudNow['fraud'] as number, fraudNow['transactions'] as number),
    );
    const fraudPoints =
      Number(percentOf(fraudNow['fraud'] as number, fraudNow['transactions'] as number)) -
      Number(percentOf(fraudBefore['fraud'] as number, fraudBefore['transactions'] as number));
    expect(Number((await change('fraud_rate'))[0])).toBeCloseTo(fraudPoints, 6);
    expect((await change('fraud_rate'))[1]).toBe('pp');
    const [ledgerNow, ledgerBefore] = [await ledger(LATEST), await ledger(weekBefore)];
    expect(await tile('quarantine_rate')).toBe(
      percentOf(ledgerNow['quarantined'] as number, ledgerNow['bronze_rows'] as number),
    );
    expect(Number((await change('quarantine_rate'))[0])).toBeCloseTo(
      Number(percentOf(ledgerNow['quarantined'] as number, ledgerNow['bronze_rows'] as number)) -
        Number(percentOf(ledgerBefore['quarantined'] as number, ledgerBefore['bronze_rows'] as number)),
      6,
    );
  });

  it('shows sales per day, category and channel as in mart_sales_daily, and a channel filter narrows all of it', async () => {
    const check = async (channel: string | undefined) => {
      const where = `event_date between date '${RANGE_FROM}' and date '${LATEST}'${channel ? ` and channel = '${channel}'` : ''}`;
      const days =
        await query(`select cast(event_date as varchar) as day, sum(transaction_count) as transactions,
          sum(transaction_count - declined_count) as approved, sum(net_amount) as net_amount
        from marts.mart_sales_daily where ${where} group by 1 order by 1`);
      for (const day of days) {
        const key = String(day['day']);
        expect(figureOf(await cellText(page, 'days', key, 'net_amount')), key).toBe(day['net_amount']);
        expect(figureOf(await cellText(page, 'days', key, 'transactions')), key).toBe(
          String(day['transactions']),
        );
        expect(figureOf(await cellText(page, 'days', key, 'approval_rate')), key).toBe(
          percentOf(day['approved'] as number, day['transactions'] as number),
        );
      }
      const total = await one(`select sum(net_amount) as net from marts.mart_sales_daily where ${where}`);
      expect(figureOf((await page.locator('[data-total="net_amount"] .value').textContent())!)).toBe(
        total['net'],
      );
      const dates = await chartCategories(page, 'chart-daily');
      const last = dates.indexOf(LATEST);
      const daily = await hoverTooltip(page, 'chart-daily', 0, last);
      expect(figureOf(daily.rows['Net amount']!)).toBe(days.find((d) => d['day'] === LATEST)!['net_amount']);
      for (const [chart, column] of [
        ['chart-category', 'merchant_category'],
        ['chart-channel', 'channel'],
      ] as const) {
        const expected =
          await query(`select ${column} as member, sum(net_amount) as net from marts.mart_sales_daily
          where ${where} and event_date = date '${LATEST}' group by 1 having sum(net_amount) <> 0 order by 1`);
        const tooltip = await hoverTooltip(page, chart, 0, last);
        const shown = Object.fromEntries(
          Object.entries(tooltip.rows)
            .filter(([, value]) => figureOf(value) !== '0.00')
            .map(([member, value]) => [member, figureOf(value)]),
        );
        expect(shown, chart).toEqual(Object.fromEntries(expected.map((row) => [row['member'], row['net']])));
      }
    };
    await openPage(page, url('/sales'));
    await check(undefined);
    await saveScreenshot(page, shots, 'sales');
    await page.selectOption('select[name="channel"]', 'online');
    await page.waitForURL(/channel=online/);
    await page.waitForSelector('body[data-ready="true"]');
    await check('online');
    await saveScreenshot(page, shots, 'sales-online');
    await page.goBack();
    await page.waitForSelector('body[data-ready="true"]');
    expect(new URL(page.url()).search).toBe('');
    await check(undefined);
  });

  it('shows segments, cohorts, the lifetime value distribution and top customers as in the customer marts', async () => {
    await openPage(page, url('/customers'));
    const segments = await chartCategories(page, 'chart-segments');
    for (const [index, segment] of segments.entries()) {
      const expected = await one(`select count(*) as customers, coalesce(sum(monetary), 0) as monetary
        from marts.mart_rfm_customer where segment = '${segment}'`);
      const tooltip = await hoverTooltip(page, 'chart-segments', 0, index);
      expect(figureOf(tooltip.rows['Customers']!), segment).toBe(String(expected['customers']));
      expect(cents(figureOf(tooltip.rows['Net value']!)), segment).toBe(cents(expected['monetary']));
    }
    const cohort =
      await one(`select cohort_month, months_since_first, active_customers, cohort_size, retention_rate
      from marts.mart_cohort_retention order by cohort_month, months_since_first limit 1`);
    const cell = await hoverTooltip(page, 'chart-cohorts', 0, 0);
    expect(cell.rows['Retention']).toBe(`${(Number(cohort['retention_rate']) * 100).toFixed(2)}%`);
    expect(cell.rows['Active customers']).toBe(`${cohort['active_customers']} of ${cohort['cohort_size']}`);
    const bins = (await chartValues(page, 'chart-ltv')) as number[];
    expect(bins.reduce((sum, n) => sum + n, 0)).toBe(
      Number((await one('select count(*) as n from marts.mart_customer_ltv'))['n']),
    );
    const fullest = bins.indexOf(Math.max(...bins));
    const bin = await hoverTooltip(page, 'chart-ltv', 0, fullest);
    const [from, to] = bin.title.split(' – ').map(figureOf);
    const inBin = await one(`select count(*) as n from marts.mart_customer_ltv
      where net_revenue >= ${from} ${to ? `and net_revenue < ${to}` : ''}`);
    expect(bin.rows['Customers']).toBe(String(inBin['n']));
    const top = await query(`select customer_id, net_revenue from marts.mart_customer_ltv
      order by net_revenue desc, customer_id limit 20`);
    expect(await tableKeys(page, 'top-customers')).toEqual(top.map((row) => row['customer_id']));
    for (const row of top.slice(0, 5)) {
      expect(figureOf(await cellText(page, 'top-customers', String(row['customer_id']), 'net_revenue'))).toBe(
        row['net_revenue'],
      );
    }
    await saveScreenshot(page, shots, 'customers');
  });

  it('shows fraud by day, category, channel and country as in mart_fraud_daily', async () => {
    await openPage(page, url('/fraud'));
    const where = `event_date between date '${RANGE_FROM}' and date '${LATEST}'`;
    const expectBar = async (chart: string, column: string, member: string, index: number) => {
      const expected = await one(`select sum(fraud_count) as fraud, sum(transaction_count) as transactions,
          sum(fraud_amount) as amount
        from marts.mart_fraud_daily where ${where} and cast(${column} as varchar) = '${member}'`);
      const tooltip = await hoverTooltip(page, chart, 0, index);
      expect(cents(figureOf(tooltip.rows['Fraud amount']!)), `${chart} ${member}`).toBe(
        cents(expected['amount']),
      );
      expect(tooltip.rows['Fraud rate'], `${chart} ${member}`).toBe(
        `${percentOf(expected['fraud'] as number, expected['transactions'] as number)}% (${expected['fraud']} of ${Number(expected['transactions']).toLocaleString('en-US')})`,
      );
    };
    const days = await chartCategories(page, 'chart-day');
    await expectBar('chart-day', 'event_date', LATEST, days.indexOf(LATEST));
    const categories = await chartCategories(page, 'chart-category');
    await expectBar('chart-category', 'merchant_category', categories[0]!, 0);
    const channels = await chartCategories(page, 'chart-channel');
    await expectBar('chart-channel', 'channel', channels[1]!, 1);
    const countries = await chartCategories(page, 'chart-country');
    const topCountry = await one(`select country from marts.mart_fraud_daily where ${where}
      group by country order by sum(fraud_amount) desc, sum(fraud_count) desc limit 1`);
    expect(countries[0]).toBe(topCountry['country']);
    await expectBar('chart-country', 'country', countries[0]!, 0);
    const totals = await one(`select sum(fraud_count) as fraud, sum(fraud_amount) as amount
      from marts.mart_fraud_daily where ${where}`);
    expect(figureOf((await page.locator('[data-total="fraud_count"] .value').textContent())!)).toBe(
      String(totals['fraud']),
    );
    expect(figureOf((await page.locator('[data-total="fraud_amount"] .value').textContent())!)).toBe(
      totals['amount'],
    );
    await saveScreenshot(page, shots, 'fraud');
  });

  it('pages and sorts merchants as in mart_merchant_daily, in the URL', async () => {
    await openPage(page, url('/merchants'));
    const where = `event_date between date '${RANGE_FROM}' and date '${LATEST}'`;
    const ranked = await query(`select merchant_id, sum(net_amount) as net, sum(purchase_count) as purchases
      from marts.mart_merchant_daily where ${where} group by merchant_id order by net desc, merchant_id`);
    expect(await tableKeys(page, 'merchants')).toEqual(ranked.slice(0, 25).map((row) => row['merchant_id']));
    for (const row of ranked.slice(0, 3)) {
      const id = String(row['merchant_id']);
      expect(figureOf(await cellText(page, 'merchants', id, 'net_amount'))).toBe(row['net']);
      expect(figureOf(await cellText(page, 'merchants', id, 'purchases'))).toBe(String(row['purchases']));
    }
    expect(await page.locator('#match-count').textContent()).toContain(`${ranked.length} merchants`);
    await saveScreenshot(page, shots, 'merchants');
    await page.click('#pager a[aria-label="page 2"]');
    await page.waitForURL(/page=2/);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await tableKeys(page, 'merchants')).toEqual(ranked.slice(25, 50).map((row) => row['merchant_id']));
    await page.click('[data-table="merchants"] th a:text("Purchases")');
    await page.waitForURL(/sort=purchases&dir=desc/);
    await page.waitForSelector('body[data-ready="true"]');
    const byPurchases = [...ranked].sort(
      (a, b) =>
        (b['purchases'] as number) - (a['purchases'] as number) ||
        String(a['merchant_id']).localeCompare(String(b['merchant_id'])),
    );
    expect(new URL(page.url()).searchParams.get('page')).toBeNull();
    expect(await tableKeys(page, 'merchants')).toEqual(
      byPurchases.slice(0, 25).map((row) => row['merchant_id']),
    );
    await page.goBack();
    await page.waitForSelector('body[data-ready="true"]');
    expect(await tableKeys(page, 'merchants')).toEqual(ranked.slice(25, 50).map((row) => row['merchant_id']));
  });

  it('shows the ledger, the quarantine by reason and late arrivals as in the audit tables and the ledger files', async () => {
    await openPage(page, url('/data-health'));
    const ledger = await query(`select cast(ingest_date as varchar) as day, bronze_rows, inserted, superseded,
        duplicates, quarantined from audit.ledger order by ingest_date`);
    expect(await tableKeys(page, 'ledger')).toEqual(ledger.map((row) => row['day']).reverse());
    for (const row of ledger) {
      for (const column of ['bronze_rows', 'inserted', 'superseded', 'duplicates', 'quarantined'])
        expect(figureOf(await cellText(page, 'ledger', String(row['day']), column))).toBe(
          String(row[column]),
        );
    }
    const last = ledger.at(-1)!;
    const bar = await hoverTooltip(page, 'chart-ledger', 0, ledger.length - 1);
    expect(
      Object.fromEntries(Object.entries(bar.rows).map(([name, value]) => [name, Number(figureOf(value))])),
    ).toEqual({
      Inserted: last['inserted'],
      Superseded: last['superseded'],
      Duplicates: last['duplicates'],
      Quarantined: last['quarantined'],
      'Bronze rows': last['bronze_rows'],
    });
    const reasons = await query(`select reason, count(*) as records
      from (select unnest(reason_codes) as reason from audit.quarantine) group by reason order by records desc, reason`);
    expect(await chartCategories(page, 'chart-reasons', 'yAxis')).toEqual(
      reasons.map((row) => row['reason']),
    );
    expect(await chartValues(page, 'chart-reasons')).toEqual(reasons.map((row) => row['records']));
    const first = await hoverTooltip(page, 'chart-reasons', 0, 0);
    expect(first.rows['Records']).toBe(Number(reasons[0]!['records']).toLocaleString('en-US'));
    const late = new Map<string, number>();
    for (const file of (await harness.lake.snapshot(LEDGER_TABLE)).files()) {
      const entry = JSON.parse((await harness.lake.store.get(file.key)).toString('utf8')) as LedgerEntry;
      for (const [days, rows] of Object.entries(entry.late_by_days))
        late.set(days, (late.get(days) ?? 0) + rows);
    }
    const lateDays = [...late.keys()].sort((a, b) => Number(a) - Number(b));
    expect(await chartCategories(page, 'chart-late')).toEqual(lateDays);
    expect(await chartValues(page, 'chart-late')).toEqual(lateDays.map((days) => late.get(days)));
    await saveScreenshot(page, shots, 'data-health');

    // A click on a reason's bar lists only records with that reason.
    const reason = String(
      reasons.find((row) => row['reason'] === 'invalid_pan')?.['reason'] ?? reasons[0]!['reason'],
    );
    const index = reasons.findIndex((row) => row['reason'] === reason);
    await page.locator('#chart-reasons').scrollIntoViewIfNeeded();
    const target = await hoverTooltip(page, 'chart-reasons', 0, index);
    expect(target.title).toBe(reason.replaceAll('_', ' '));
    await page.mouse.down();
    await page.mouse.up();
    await page.waitForURL(new RegExp(`reason=${reason}`));
    await page.waitForSelector('body[data-ready="true"]');
    const shown = await page.locator('[data-table="samples"] [data-col="reason_codes"]').allTextContents();
    expect(shown.length).toBeGreaterThan(0);
    for (const codes of shown) expect(codes).toContain(reason.replaceAll('_', ' '));
    for (const raw of await page.locator('[data-table="samples"] [data-col="raw_record"]').allTextContents())
      expect(raw).not.toMatch(PAN_LIKE);
    await saveScreenshot(page, shots, `data-health-${reason}`);
  });

  it('loads every page, with and without filters, with no console error and no card-number-like run', async () => {
    const paths = [
      '/',
      `/?date=${FIRST}`,
      '/sales',
      `/sales?from=${FIRST}&to=${LATEST}&category=grocery&channel=pos`,
      '/customers',
      '/customers?segment=Champions',
      '/fraud',
      '/fraud?country=KR',
      '/merchants',
      '/merchants?q=m00&sort=merchant_name&dir=asc',
      '/data-health',
      '/data-health?reason=invalid_pan',
      '/lineage',
      '/lineage?node=model.fact_transactions',
    ];
    for (const path of paths) {
      const watched = await watchedPage(browser);
      expect(await openPage(watched.page, url(path)), path).toBe('true');
      if (!path.includes('?'))
        await saveScreenshot(watched.page, shots, path === '/' ? 'overview' : path.slice(1));
      await watched.page.waitForTimeout(100);
      expect(watched.problems, path).toEqual([]);
      const api = await fetch(
        url(
          `/api/${path === '/' || path.startsWith('/?') ? 'overview' : path.slice(1).split('?')[0]}${path.includes('?') ? `?${path.split('?')[1]}` : ''}`,
        ),
      );
      expect(api.status, path).toBe(200);
      const bodies = [
        ...watched.responses.map((response) => ({ ...response })),
        { url: api.url, body: await api.text() },
      ];
      for (const response of bodies) {
        if (!response.url.includes('/static/vendor/'))
          expect(response.body, response.url).not.toMatch(PAN_LIKE);
      }
      await watched.page.close();
    }
    expect(serverLog).toEqual([]);
  });
});

describe.skipIf(skip)('web app on an empty lake', () => {
  it('says there is no data yet and how to make some, on every page', async () => {
    const harness = await createPipelineHarness();
    const server = await startWebServer({ config: harness.config, lake: harness.lake, port: 0 });
    const browser = await launchChromium();
    try {
      for (const path of ['/', '/sales', '/customers', '/fraud', '/merchants', '/data-health']) {
        const watched = await watchedPage(browser);
        expect(await openPage(watched.page, new URL(path, server.url).toString()), path).toBe('empty');
        expect(await watched.page.locator('#status').textContent(), path).toBe(
          'No data yet — run fintech-etl demo (or fintech-etl run --date D) first',
        );
        expect(await watched.page.locator('#status code').first().textContent()).toBe('fintech-etl demo');
        expect(watched.problems, path).toEqual([]);
        if (path === '/') await saveScreenshot(watched.page, screenshotFolder('empty-lake'), 'overview');
        await watched.page.close();
      }
      const lineage = await watchedPage(browser);
      expect(await openPage(lineage.page, new URL('/lineage', server.url).toString())).toBe('true');
    } finally {
      await browser.close();
      await server.close();
      await harness.close();
    }
  });
});
