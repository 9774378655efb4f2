/// <reference lib="dom" />
/**
 * Debian's Chromium driven by playwright-core, for the web app's browser tests: pages opened with every console
 * error, page error and failed request recorded, chart tooltips read by hovering the chart, and the figures a
 * page shows turned back into exact decimals to compare with the marts.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page, type Response } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** The part of an ECharts instance the tests use inside the page (the page loads ECharts as a global). */
interface PageChart {
  getOption(): {
    series: { type: string; data: ChartItem[] }[];
    xAxis?: { type?: string; data: unknown[] }[];
    yAxis?: { type?: string; data: unknown[] }[];
  };
  convertToPixel(finder: { seriesIndex: number }, value: unknown[]): number[];
}
/** A data point as the pages write them: a number, or an object with a value (a graph node has x, y and id). */
interface ChartItem {
  value: number | number[];
  x: number;
  y: number;
  id: string;
}
type EChartsGlobal = { echarts: { getInstanceByDom(element: Element | null): PageChart } };

/** Undefined when the browser tests may run; else why they are skipped. Throws in CI when Chromium is missing. */
export function browserSkipReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const message = `${CHROMIUM} is not installed (Debian package chromium; .ci/run installs it)`;
  if (process.env['CI'] === 'true') throw new Error(`${message}: the browser tests must run in CI`);
  console.warn(`skipping browser tests: ${message}`);
  return message;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Where a suite saves its screenshots: test/browser/output/<suite>/ (ignored by git). */
export function screenshotFolder(suite: string): string {
  const folder = fileURLToPath(new URL(`../browser/output/${suite}/`, import.meta.url));
  mkdirSync(folder, { recursive: true });
  return folder;
}

export interface WatchedPage {
  page: Page;
  /** Console errors, uncaught page errors and failed requests so far. */
  problems: string[];
  /** Every response the page received, with its body (for the PAN check). */
  responses: { url: string; status: number; body: string }[];
}

export async function watchedPage(browser: Browser): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const watched: WatchedPage = { page, problems: [], responses: [] };
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      watched.problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => watched.problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) =>
    watched.problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`),
  );
  page.on('response', (response: Response) => {
    void response
      .text()
      .then((body) => watched.responses.push({ url: response.url(), status: response.status(), body }))
      .catch(() => undefined);
  });
  return watched;
}

/**
 * Opens a page and waits until its script has drawn it (body[data-ready]); returns what it became. The wait is
 * long because the test machine is shared; when it runs out, the error says what the page showed.
 */
export async function openPage(page: Page, url: string): Promise<string> {
  await page.goto(url);
  try {
    await page.waitForSelector('body[data-ready]', { timeout: 90_000 });
  } catch (error) {
    const shown = await page
      .evaluate(() => ({
        readyState: document.readyState,
        status: document.getElementById('status')?.textContent ?? null,
      }))
      .catch((reason: unknown) => ({ unreadable: String(reason) }));
    throw new Error(
      `${url} was not drawn: ${(error as Error).message}; the page showed ${JSON.stringify(shown)}`,
    );
  }
  return (await page.getAttribute('body', 'data-ready')) ?? '';
}

export async function saveScreenshot(page: Page, folder: string, name: string): Promise<string> {
  const path = join(folder, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Hovers a chart over the data point (seriesIndex, dataIndex) — over its category for an axis tooltip, over the
 * cell or node for an item tooltip — and returns the tooltip's title and its rows (series or label → value).
 */
export async function hoverTooltip(
  page: Page,
  chartId: string,
  seriesIndex: number,
  dataIndex: number,
): Promise<{ title: string; rows: Record<string, string> }> {
  await page.locator(`#${chartId}`).scrollIntoViewIfNeeded();
  const target = await page.evaluate(
    ([id, series, index]) => {
      const element = document.getElementById(id as string)!;
      const chart = (globalThis as unknown as EChartsGlobal).echarts.getInstanceByDom(element);
      const option = chart.getOption();
      const seriesOption = option.series[series as number]!;
      const item = seriesOption.data[index as number]!;
      const value = item.value as number[];
      const rect = element.getBoundingClientRect();
      let pixel: number[];
      if (seriesOption.type === 'graph') {
        pixel = chart.convertToPixel({ seriesIndex: series as number }, [item.x, item.y]);
      } else if (seriesOption.type === 'heatmap') {
        pixel = chart.convertToPixel({ seriesIndex: series as number }, [value[0], value[1]]);
      } else {
        const horizontal = option.yAxis?.[0]?.type === 'category';
        pixel = chart.convertToPixel({ seriesIndex: series as number }, horizontal ? [0, index] : [index, 0]);
        if (horizontal) pixel[0] = rect.width / 2;
        else pixel[1] = rect.height / 2;
      }
      return { x: rect.left + pixel[0]!, y: rect.top + pixel[1]! };
    },
    [chartId, seriesIndex, dataIndex] as const,
  );
  await page.mouse.move(1, 1);
  await page.mouse.move(target.x, target.y, { steps: 4 });
  const tooltip = page.locator(`#${chartId} .chart-tooltip`);
  await tooltip.waitFor({ state: 'visible', timeout: 10_000 });
  const title = (await tooltip.locator('.tip-title').textContent()) ?? '';
  const rows: Record<string, string> = {};
  for (const row of await tooltip.locator('.tip-row').all()) {
    rows[(await row.getAttribute('data-series')) ?? ''] =
      (await row.locator('.tip-value').textContent()) ?? '';
  }
  return { title, rows };
}

/**
 * A figure as a page shows it, back to an exact decimal string: "₩5,444,314,152.71" → "5444314152.71",
 * "93.70%" → "93.70" (percent), "1,234" → "1234", "-₩8,000.00" → "-8000.00".
 */
export function figureOf(shown: string): string {
  const negative = /^[-−]/.test(shown.trim());
  const digits = shown.replace(/[^0-9.]/g, '');
  return negative ? `-${digits}` : digits;
}

/** numerator ÷ denominator as a percentage with 2 decimals, rounded half away from zero: (1, 3) → "33.33". */
export function percentOf(numerator: number | bigint, denominator: number | bigint): string {
  const n = BigInt(numerator) * 10_000n;
  const d = BigInt(denominator);
  const units = (n * 2n + d) / (2n * d);
  return `${units / 100n}.${(units % 100n).toString().padStart(2, '0')}`;
}

/** Runs of 12 to 19 digits: what a card number would look like. */
export const PAN_LIKE = /\d{12,19}/;

/** The categories of a chart's first x axis (y axis when `axis` says so). */
export function chartCategories(
  page: Page,
  chartId: string,
  axis: 'xAxis' | 'yAxis' = 'xAxis',
): Promise<string[]> {
  return page.evaluate(
    ([id, which]) => {
      const chart = (globalThis as unknown as EChartsGlobal).echarts.getInstanceByDom(
        document.getElementById(id as string),
      );
      const option = chart.getOption();
      return (which === 'yAxis' ? option.yAxis : option.xAxis)![0]!.data.map(String);
    },
    [chartId, axis] as const,
  );
}

/** The plotted values of one series of a chart (a data point's `value`). */
export function chartValues(page: Page, chartId: string, seriesIndex = 0): Promise<unknown[]> {
  return page.evaluate(
    ([id, index]) => {
      const chart = (globalThis as unknown as EChartsGlobal).echarts.getInstanceByDom(
        document.getElementById(id as string),
      );
      return chart
        .getOption()
        .series[index as number]!.data.map((item: ChartItem | number | null) =>
          item !== null && typeof item === 'object' ? item.value : item,
        );
    },
    [chartId, seriesIndex] as const,
  );
}

/** The ids of the nodes of the lineage graph, in the order of its data. */
export function graphNodeIds(page: Page, chartId: string): Promise<string[]> {
  return page.evaluate((id) => {
    const chart = (globalThis as unknown as EChartsGlobal).echarts.getInstanceByDom(
      document.getElementById(id),
    );
    return chart.getOption().series[0]!.data.map((node) => node.id);
  }, chartId);
}

/** Where a node of a graph chart is on the page. */
export function graphNodeCenter(page: Page, chartId: string, index: number): Promise<[number, number]> {
  return page.evaluate(
    ([id, i]) => {
      const element = document.getElementById(id as string)!;
      const chart = (globalThis as unknown as EChartsGlobal).echarts.getInstanceByDom(element);
      const node = chart.getOption().series[0]!.data[i as number]!;
      const [x = 0, y = 0] = chart.convertToPixel({ seriesIndex: 0 }, [node.x, node.y]);
      const rect = element.getBoundingClientRect();
      return [rect.left + x, rect.top + y] as [number, number];
    },
    [chartId, index] as const,
  );
}

/** The row keys (data-key) of a data table, top to bottom. */
export function tableKeys(page: Page, table: string): Promise<string[]> {
  return page
    .locator(`[data-table="${table}"] tbody tr`)
    .evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset['key'] ?? ''));
}

/** The text of one cell of a data table: the row with this key, the column with this id. */
export async function cellText(page: Page, table: string, key: string, column: string): Promise<string> {
  return (
    (await page
      .locator(`[data-table="${table}"] tr[data-key="${key}"] [data-col="${column}"]`)
      .textContent()) ?? ''
  );
}
