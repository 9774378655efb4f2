/**
 * The Pipeline page in Chromium, on a home whose state the real executor wrote (test/web/helpers/pipeline-home.ts):
 * the grid's cells are coloured by state and show their tries; a click opens the run's tries, the try's log
 * and the failure report (error sentence, the failed tests' SQL and sample rows), and the back button returns;
 * a visitor without the operator token gets no buttons and a write is refused; the signed-in operator runs a
 * date from the plan, and the grid shows the run once the CLI (a stand-in running the test DAG) has made it.
 * Screenshots go to test/browser/output/pipeline/.
 */
import { execPath } from 'node:process';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningWebServer, startWebServer } from '../../src/web/start-web-server.ts';
import {
  browserSkipReason,
  launchChromium,
  openPage,
  PAN_LIKE,
  saveScreenshot,
  screenshotFolder,
  type WatchedPage,
  watchedPage,
} from '../helpers/browser.ts';
import {
  createPipelineHome,
  FAILED_DATE,
  OK_DATE,
  type PipelineHome,
  RETRIED_DATE,
  UNRUN_DATE,
} from '../web/helpers/pipeline-home.ts';
import { WEB_TEST_DAG, WEB_TEST_TASKS } from '../web/helpers/web-test-dag.ts';

const skip = browserSkipReason();
const TOKEN = 'pipeline-browser-operator-token-77c2';
const STAND_IN = fileURLToPath(new URL('../web/helpers/stand-in-cli.ts', import.meta.url));
const FIXTURE_PROJECT = fileURLToPath(new URL('../fixtures/model-project', import.meta.url));

describe.skipIf(skip)('the Pipeline page in Chromium', () => {
  let home: PipelineHome;
  let server: RunningWebServer;
  let browser: Browser;
  let watched: WatchedPage;
  const serverLog: string[] = [];
  const shots = skip ? '' : screenshotFolder('pipeline');
  const url = (path: string) => new URL(path, server.url).toString();
  const cell = (date: string, task: string) =>
    watched.page.locator(`[data-table="runs"] tr[data-date="${date}"] td[data-task="${task}"]`);
  const background = (date: string, task: string) =>
    cell(date, task).evaluate((element) => getComputedStyle(element).backgroundColor);

  beforeAll(async () => {
    // The model project whose tests the web test DAG runs, so the Lineage page shows their results.
    home = await createPipelineHome(`models:\n  project: ${FIXTURE_PROJECT}\n`);
    server = await startWebServer({
      config: home.config,
      lake: home.lake,
      port: 0,
      env: { FINTECH_ETL_OPERATOR_TOKEN: TOKEN },
      dag: { name: WEB_TEST_DAG, order: WEB_TEST_TASKS },
      cliCommand: [execPath, '--import', 'tsx', STAND_IN],
      log: (line) => serverLog.push(line),
    });
    browser = await launchChromium();
    watched = await watchedPage(browser);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await home?.close();
  });

  it('colours each cell by its task state and shows the tries it took', async () => {
    expect(await openPage(watched.page, url('/pipeline'))).toBe('true');
    const green = 'rgb(220, 252, 231)';
    const red = 'rgb(254, 226, 226)';
    const orange = 'rgb(255, 237, 213)';
    for (const task of WEB_TEST_TASKS) {
      expect(await cell(OK_DATE, task).getAttribute('data-state'), task).toBe('success');
      expect(await background(OK_DATE, task), task).toBe(green);
      expect((await cell(OK_DATE, task).textContent())!.trim(), task).toBe('✓');
    }
    expect(await cell(RETRIED_DATE, 'load').getAttribute('data-tries')).toBe('2');
    expect(await cell(RETRIED_DATE, 'load').textContent()).toBe('✓×2');
    expect(await background(RETRIED_DATE, 'load')).toBe(green);
    expect(await cell(FAILED_DATE, 'tests').getAttribute('data-state')).toBe('failed');
    expect(await cell(FAILED_DATE, 'tests').textContent()).toBe('✗×2');
    expect(await background(FAILED_DATE, 'tests')).toBe(red);
    expect(await cell(FAILED_DATE, 'gold').getAttribute('data-state')).toBe('upstream_failed');
    expect(await background(FAILED_DATE, 'gold')).toBe(orange);
    expect(await cell(UNRUN_DATE, 'silver').getAttribute('data-state')).toBe('none');
    expect(await watched.page.locator('[data-table="runs"] thead th.task').allTextContents()).toEqual(
      WEB_TEST_TASKS,
    );
    // Plan: the failed date resumes from tests, the new one runs whole.
    expect(
      await watched.page
        .locator('[data-table="plan"] tbody tr')
        .evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset['key'])),
    ).toEqual([FAILED_DATE, UNRUN_DATE]);
    expect(
      await watched.page
        .locator(`[data-table="plan"] tr[data-key="${FAILED_DATE}"] [data-col="tasks"]`)
        .textContent(),
    ).toBe('tests, gold');
    expect(await watched.page.locator('#workers').textContent()).toContain('No workers: the local executor');
    await saveScreenshot(watched.page, shots, 'grid');
  });

  it('opens a failed cell: its log and the failure report with the error, SQL and sample rows', async () => {
    await cell(FAILED_DATE, 'tests').locator('a').click();
    await watched.page.waitForURL(new RegExp(`run=${home.runIds.failed}&task=tests`));
    const report = watched.page.locator('#failure-report');
    await report.waitFor();
    expect(await report.locator('#failed-task').textContent()).toBe('tests');
    expect(await report.locator('#failure-error').textContent()).toBe(
      '2 model tests failed: expression_is_true_fct_payments__amount_15, not_null_fct_payments_status_label',
    );
    const amount = report.locator('article[data-check="expression_is_true_fct_payments__amount_15"]');
    expect(await amount.locator('pre.check-sql').textContent()).toContain('where not (amount < 15)');
    const sample = amount.locator('table tbody tr');
    expect(await sample.count()).toBe(1);
    expect(await sample.locator('[data-col="payment_id"]').textContent()).toBe('4');
    expect(await sample.locator('[data-col="amount"]').textContent()).toBe('20.00');
    expect(await report.locator('#failure-lines li').last().textContent()).toContain('tests failed (error)');
    const log = watched.page.locator('#try-log');
    expect(await log.getAttribute('data-task')).toBe('tests');
    expect(await log.getAttribute('data-try')).toBe('2');
    expect(await log.locator('li[data-kind="check-failed"]').count()).toBe(3);
    await saveScreenshot(watched.page, shots, 'failed-run');
  });

  it('opens another try’s log, and the back button returns to the view before', async () => {
    await cell(RETRIED_DATE, 'load').locator('a').click();
    await watched.page.waitForURL(new RegExp(`run=${home.runIds.retried}&task=load`));
    const log = watched.page.locator('#try-log');
    await expect.poll(() => log.getAttribute('data-try')).toBe('2');
    await watched.page.locator('[data-table="tries"] tr[data-key="load/1"] a').click();
    await watched.page.waitForURL(/try=1/);
    await expect.poll(() => log.getAttribute('data-try')).toBe('1');
    expect(await log.textContent()).toContain(
      'could not connect to warehouse at 127.0.0.1:5432: connection refused',
    );
    await watched.page.goBack();
    await watched.page.waitForURL((current) => !current.search.includes('try='));
    await expect.poll(() => log.getAttribute('data-try')).toBe('2');
    await watched.page.goBack();
    await watched.page.waitForURL(new RegExp(`run=${home.runIds.failed}`));
    await expect.poll(() => watched.page.locator('#failed-task').textContent()).toBe('tests');
    await watched.page.goBack();
    await watched.page.waitForURL((current) => !current.search.includes('run='));
    await expect.poll(() => watched.page.locator('#run-detail').isHidden()).toBe(true);
  });

  it('shows each test’s latest result on the Lineage page, from the failed run’s tests log', async () => {
    await openPage(watched.page, url('/lineage?node=model.fct_payments'));
    const docs = watched.page.locator('#node-docs');
    await expect.poll(() => docs.locator('h2').textContent()).toContain('fct_payments');
    expect(await docs.locator('#test-results-note').textContent()).toBe(
      `Latest results: the run of ${FAILED_DATE}.`,
    );
    const result = (name: string) =>
      docs.locator(`[data-test="${name}"] [data-result]`).getAttribute('data-result');
    expect(await result('expression_is_true_fct_payments__amount_15')).toBe('fail');
    expect(await result('accepted_values_fct_payments_status__approved__declined')).toBe('warn');
    expect(await result('not_null_fct_payments_status_label')).toBe('fail');
    expect(await result('unique_fct_payments_payment_id')).toBe('pass');
    await saveScreenshot(watched.page, shots, 'lineage-results');
  });

  it('gives a visitor without the token no buttons, and refuses their write', async () => {
    const visitor = await watchedPage(browser);
    await openPage(visitor.page, url('/pipeline'));
    expect(await visitor.page.locator('#operator').textContent()).toContain(
      'Sign in with the operator token to run or backfill dates',
    );
    expect(await visitor.page.locator('#rerun-form').count()).toBe(0);
    expect(await visitor.page.locator('[data-table="plan"] button').count()).toBe(0);
    const status = await visitor.page.evaluate(async (date) => {
      const response = await fetch('/api/pipeline/rerun', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ date }),
      });
      return response.status;
    }, UNRUN_DATE);
    expect(status).toBe(401);
    expect((await home.store().listRuns({ logicalDate: UNRUN_DATE })).length).toBe(0);
    await visitor.page.close();
  });

  it('lets the signed-in operator run a date from the plan; the grid shows the run the CLI made', async () => {
    await watched.page.goto(url('/login?next=/pipeline'));
    await watched.page.fill('input[name="token"]', TOKEN);
    await watched.page.click('form.login button');
    await watched.page.waitForURL(/\/pipeline$/);
    await watched.page.waitForSelector('body[data-ready="true"]');
    await watched.page.locator(`[data-table="plan"] button[data-run="${UNRUN_DATE}"]`).click();
    await expect
      .poll(() => watched.page.locator('#operator-message').textContent())
      .toMatch(new RegExp(`^started fintech-etl run --date ${UNRUN_DATE} \\(pid \\d+\\)`));
    // The page refreshes itself while the launch runs; the new run appears in the grid, all green.
    await expect
      .poll(() => cell(UNRUN_DATE, 'gold').getAttribute('data-state'), { timeout: 60_000 })
      .toBe('success');
    await expect
      .poll(
        () => watched.page.locator('[data-table="launches"] tbody tr [data-col="running"]').textContent(),
        {
          timeout: 30_000,
        },
      )
      .toBe('success (exit 0)');
    const [run] = await home.store().listRuns({ logicalDate: UNRUN_DATE });
    expect(run).toMatchObject({ state: 'success', trigger: 'manual', dag: WEB_TEST_DAG });
    await saveScreenshot(watched.page, shots, 'operator');
  }, 120_000);

  it('logs no console error and sends no card number', () => {
    expect(watched.problems).toEqual([]);
    for (const response of watched.responses) {
      if (!response.url.includes('/static/vendor/'))
        expect(response.body, response.url).not.toMatch(PAN_LIKE);
    }
    expect(serverLog).toEqual([]);
  });
});
