/**
 * The Pipeline page's JSON, on a home whose state the real executor wrote (test/web/helpers/pipeline-home.ts):
 * the run grid (states and tries per logical date and task), a run's tries and logs, the failure report of a
 * failed run (failed task, error sentence, last log lines, the failed model tests' SQL and sample rows), `plan`
 * for the dates, and the operator's buttons — refused without the operator token, and with it starting the CLI
 * (a stand-in running the test DAG the way `run` and `backfill` run the daily one) whose runs then show in the
 * state and the grid.
 */
import { join } from 'node:path';
import { execPath } from 'node:process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLease, WRITER_LEASE } from '../../src/orchestrator/execution/lease.ts';
import { failureReport } from '../../src/web/data/failure-report.ts';
import { GoldDatabase } from '../../src/web/data/gold-database.ts';
import { LakeFiles } from '../../src/web/data/lake-files.ts';
import { LineageReader } from '../../src/web/data/lineage-docs.ts';
import { RunStateReader } from '../../src/web/data/run-state-reader.ts';
import { CliLauncher } from '../../src/web/server/cli-launcher.ts';
import { OperatorAuth } from '../../src/web/server/operator-auth.ts';
import { type RunningWebServer, startWebServer } from '../../src/web/start-web-server.ts';
import { createWebApp } from '../../src/web/web-app.ts';
import { PAN_LIKE } from '../helpers/browser.ts';
import {
  createPipelineHome,
  FAILED_DATE,
  OK_DATE,
  type PipelineHome,
  RETRIED_DATE,
  UNRUN_DATE,
} from './helpers/pipeline-home.ts';
import { WEB_TEST_DAG, WEB_TEST_TASKS } from './helpers/web-test-dag.ts';

const TOKEN = 'pipeline-operator-token-5e1f0a';
const STAND_IN = fileURLToPath(new URL('./helpers/stand-in-cli.ts', import.meta.url));
const FIXTURE_PROJECT = fileURLToPath(new URL('../fixtures/model-project', import.meta.url));

interface GridRow {
  date: string;
  runs: number;
  run?: { run_id: string; state: string; trigger: string; error: string | null };
  cells: Record<string, { state: string; tries: number }>;
}

describe('the Pipeline page endpoints', () => {
  let home: PipelineHome;
  let server: RunningWebServer;
  let readOnly: RunningWebServer;
  const responses: string[] = [];

  const get = async (base: RunningWebServer, path: string) => {
    const response = await fetch(new URL(path, base.url));
    const text = await response.text();
    responses.push(text);
    return { status: response.status, body: JSON.parse(text) };
  };
  const post = async (base: RunningWebServer, path: string, body: unknown, token?: string) => {
    const response = await fetch(new URL(path, base.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
  const grid = async () =>
    (await get(server, '/api/pipeline')).body.grid as { tasks: string[]; rows: GridRow[] };
  const row = (rows: GridRow[], date: string) => rows.find((candidate) => candidate.date === date)!;

  /** Waits until this server's launches have all ended; returns them. */
  async function launchesEnded(): Promise<{ command: string; exit_code: number; output_tail: string[] }[]> {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const { launches } = (await get(server, '/api/pipeline')).body;
      if (!launches.some((launch: { running: boolean }) => launch.running)) return launches;
      if (Date.now() > deadline) throw new Error(`launches still running: ${JSON.stringify(launches)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  beforeAll(async () => {
    home = await createPipelineHome();
    const options = {
      config: home.config,
      lake: home.lake,
      port: 0,
      dag: { name: WEB_TEST_DAG, order: WEB_TEST_TASKS },
      cliCommand: [execPath, '--import', 'tsx', STAND_IN],
      log: () => undefined,
    };
    server = await startWebServer({ ...options, env: { FINTECH_ETL_OPERATOR_TOKEN: TOKEN } });
    readOnly = await startWebServer({ ...options, env: {} });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await readOnly?.close();
    await home?.close();
  });

  it('lays out the grid: logical dates × tasks in DAG order, each cell its state and tries', async () => {
    const { status, body } = await get(server, '/api/pipeline');
    expect(status).toBe(200);
    expect(body.dag).toBe(WEB_TEST_DAG);
    // The latest date is the newest bronze partition (it has not run yet): 30 days end there.
    expect(body.filters).toEqual({ from: '2025-01-04', to: UNRUN_DATE, dag: WEB_TEST_DAG });
    expect(body.grid.tasks).toEqual(['silver', 'load', 'tests', 'gold']);
    expect(body.grid.rows).toHaveLength(30);
    expect(body.grid.rows[0].date).toBe(UNRUN_DATE);
    const rows = body.grid.rows as GridRow[];
    expect(row(rows, UNRUN_DATE)).toEqual({ date: UNRUN_DATE, runs: 0, cells: {} });
    const cells = (date: string) =>
      Object.fromEntries(
        Object.entries(row(rows, date).cells).map(([task, cell]) => [task, [cell.state, cell.tries]]),
      );
    expect(cells(OK_DATE)).toEqual({
      silver: ['success', 1],
      load: ['success', 1],
      tests: ['success', 1],
      gold: ['success', 1],
    });
    expect(cells(RETRIED_DATE)).toEqual({
      silver: ['success', 1],
      load: ['success', 2],
      tests: ['success', 1],
      gold: ['success', 1],
    });
    expect(cells(FAILED_DATE)).toEqual({
      silver: ['success', 1],
      load: ['success', 1],
      tests: ['failed', 2],
      gold: ['upstream_failed', 0],
    });
    expect(row(rows, FAILED_DATE).run).toMatchObject({
      run_id: home.runIds.failed,
      state: 'failed',
      trigger: 'manual',
      error:
        'task tests failed: 2 model tests failed: expression_is_true_fct_payments__amount_15, ' +
        'not_null_fct_payments_status_label (try 2)',
    });
    expect(body.states).toEqual({ 'not run': 27, success: 2, failed: 1 });
    expect(body.workers).toBeNull();
    expect(body.state_store).toEqual({ kind: 'sqlite' });
  });

  it('plans the dates: the failed one resumes from its failed task, the one with bronze and no run runs whole', async () => {
    const { plan } = (await get(server, '/api/pipeline')).body;
    expect(plan.counts).toEqual({ 'no bronze': 26, 'up to date': 2, failed: 1, missing: 1 });
    expect(plan.dates).toEqual([
      {
        date: FAILED_DATE,
        status: 'failed',
        reasons: [
          `run ${home.runIds.failed} failed: task tests failed: 2 model tests failed: ` +
            'expression_is_true_fct_payments__amount_15, not_null_fct_payments_status_label (try 2)',
        ],
        would_run: true,
        tasks: ['tests', 'gold'],
        bronze_rows: { transactions: 5, customers: 4, cards: 4, merchants: 3 },
      },
      {
        date: UNRUN_DATE,
        status: 'missing',
        reasons: [
          'bronze present (cards 4 rows, customers 4 rows, merchants 3 rows, transactions 3 rows), never run',
        ],
        would_run: true,
        tasks: ['silver', 'load', 'tests', 'gold'],
        bronze_rows: { transactions: 3, customers: 4, cards: 4, merchants: 3 },
      },
    ]);
  });

  it('keeps to the dates and DAG asked for, and refuses bad parameters naming them', async () => {
    const narrow = (await get(server, `/api/pipeline?from=${RETRIED_DATE}&to=${FAILED_DATE}`)).body;
    expect(narrow.grid.rows.map((r: GridRow) => r.date)).toEqual([FAILED_DATE, RETRIED_DATE]);
    expect(narrow.plan.counts).toEqual({ 'up to date': 1, failed: 1 });
    const bad = await get(server, '/api/pipeline?dag=other_dag');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("parameter 'dag' has value 'other_dag'; allowed: web_test_etl");
    const reversed = await get(server, `/api/pipeline?from=${FAILED_DATE}&to=${OK_DATE}`);
    expect(reversed.status).toBe(400);
    expect(reversed.body.error).toBe(`parameter 'from' (${FAILED_DATE}) is after 'to' (${OK_DATE})`);
  });

  it('opens a failed run: its tries, the failed try log, and the failure report with the tests SQL and samples', async () => {
    const { status, body } = await get(server, `/api/pipeline/run?run=${home.runIds.failed}`);
    expect(status).toBe(200);
    expect(body.run).toMatchObject({
      run_id: home.runIds.failed,
      logical_date: FAILED_DATE,
      state: 'failed',
    });
    expect(
      body.tasks.map((task: { task: string; tries: unknown[] }) => [task.task, task.tries.length]),
    ).toEqual([
      ['silver', 1],
      ['load', 1],
      ['tests', 2],
      ['gold', 0],
    ]);
    // With no task named, the log shown is the failed task's latest try.
    expect(body.log).toMatchObject({ task: 'tests', try_number: 2, state: 'failed', available: true });
    expect(body.log.lines.map((line: { kind: string }) => line.kind)).toEqual([
      'task-started',
      'check-failed',
      'check-failed',
      'check-failed',
      'task-finished',
    ]);

    const failure = body.failure;
    expect(failure.task).toMatchObject({ name: 'tests', try_number: 2, tries: 2, failure_kind: 'error' });
    expect(failure.task.error).toBe(
      '2 model tests failed: expression_is_true_fct_payments__amount_15, not_null_fct_payments_status_label',
    );
    expect(failure.upstream_failed).toEqual(['gold']);
    expect(failure.last_lines.at(-1).text).toContain('tests failed (error)');
    expect(
      failure.checks.map((check: { name: string; status: string }) => [check.name, check.status]),
    ).toEqual([
      ['expression_is_true_fct_payments__amount_15', 'fail'],
      ['not_null_fct_payments_status_label', 'fail'],
      ['accepted_values_fct_payments_status__approved__declined', 'warn'],
    ]);
    const [amount, label] = failure.checks;
    expect(amount.sql).toContain('where not (amount < 15)');
    expect(amount.sample).toEqual([expect.objectContaining({ payment_id: 4, amount: '20.00' })]);
    expect(label.sql).toContain('where "status_label" is null');
    expect(label.sample).toEqual([expect.objectContaining({ payment_id: 5, status_label: null })]);
  });

  it('reports a failed try whose log is not under <home>/logs without reading it (a worker elsewhere)', async () => {
    const store = home.store();
    const elsewhere = new RunStateReader({
      open: async () => store,
      exists: () => true,
      logsDir: join(home.home, 'other-machine-logs'),
      heartbeatTimeoutMs: 60_000,
    });
    const run = (await store.getRun(home.runIds.failed))!;
    const report = await failureReport(elsewhere, store, run);
    expect(report?.task).toMatchObject({ name: 'tests', try_number: 2, log_available: false });
    expect(report?.task?.error).toMatch(/^2 model tests failed: /);
    expect(report?.last_lines).toEqual([]);
    expect(report?.checks).toEqual([]);
    expect(await failureReport(elsewhere, store, (await store.getRun(home.runIds.ok))!)).toBeUndefined();
  });

  it('opens any try of a task, and says what is wrong with a run, task or try that does not exist', async () => {
    const first = (await get(server, `/api/pipeline/run?run=${home.runIds.retried}&task=load&try=1`)).body;
    expect(first.failure).toBeNull();
    expect(first.log).toMatchObject({ task: 'load', try_number: 1, state: 'failed' });
    expect(first.log.lines.map((line: { text: string }) => line.text)).toEqual([
      'load try 1 started',
      expect.stringMatching(
        /^load failed \(error\) in \d+\.\d\d s: could not connect to warehouse at 127\.0\.0\.1:5432: connection refused$/,
      ),
      'try 2 in 0 s',
    ]);
    const latest = (await get(server, `/api/pipeline/run?run=${home.runIds.retried}&task=load`)).body;
    expect(latest.log).toMatchObject({ task: 'load', try_number: 2, state: 'success' });

    const missing = await get(server, '/api/pipeline/run?run=run-1999-01-01-nope');
    expect(missing).toEqual({
      status: 400,
      body: { error: "parameter 'run': there is no run 'run-1999-01-01-nope'" },
    });
    const task = await get(server, `/api/pipeline/run?run=${home.runIds.ok}&task=extract`);
    expect(task.status).toBe(400);
    expect(task.body.error).toBe("parameter 'task' has value 'extract'; allowed: silver, load, tests, gold");
    const attempt = await get(server, `/api/pipeline/run?run=${home.runIds.ok}&task=tests&try=3`);
    expect(attempt.body.error).toBe(`parameter 'try': task tests of run ${home.runIds.ok} has no try 3`);
    expect((await get(server, '/api/pipeline/run')).body.error).toBe(
      "parameter 'run' is required: the id of a run",
    );
  });

  it('gives the Lineage page each test’s latest result from the tests task log of the latest run', async () => {
    // The model project the web test DAG's tests task ran (the fixture), read like the shipped one.
    const lake = new LakeFiles(home.lake);
    const gold = await GoldDatabase.open(lake);
    const app = createWebApp({
      data: {
        gold,
        lake,
        lineage: new LineageReader(FIXTURE_PROJECT, 'duckdb'),
        runs: RunStateReader.fromConfig(home.config, { env: {} }),
        launcher: new CliLauncher({ home: home.home, configFile: undefined, cwd: home.home, env: {} }),
      },
      auth: new OperatorAuth(undefined, false),
      currency: 'KRW',
    });
    const lineage = await (await app.request('/api/lineage')).json();
    expect(lineage.test_results).toMatchObject({
      run_id: home.runIds.failed,
      logical_date: FAILED_DATE,
      judged: true,
      results: {
        expression_is_true_fct_payments__amount_15: { status: 'fail', failures: 1 },
        not_null_fct_payments_status_label: { status: 'fail', failures: 1 },
        accepted_values_fct_payments_status__approved__declined: { status: 'warn', failures: 1 },
      },
    });
    const payments = lineage.nodes.find((node: { name: string }) => node.name === 'fct_payments');
    const names = [
      ...payments.tests.map((test: { name: string }) => test.name),
      ...payments.columns.flatMap((column: { tests: { name: string }[] }) => column.tests.map((t) => t.name)),
    ];
    // Every test the log names is a test the docs list, under the same name.
    for (const name of Object.keys(lineage.test_results.results)) expect(names).toContain(name);
    expect(names).toContain('unique_fct_payments_payment_id');
    gold.close();
  });

  it('lists the workers a state store records (issue 26), live or silent by their heartbeat', async () => {
    const now = Date.now();
    const worker = (workerId: string, host: string, pid: number, started: number, heartbeat: number) => ({
      workerId,
      process: { host, pid, command: 'fintech-etl worker' },
      queue: 'fintech-etl',
      tasks: ['daily_batch_etl.silver'],
      concurrency: 1,
      state: 'running' as const,
      startedAt: new Date(now - started),
      heartbeatAt: new Date(now - heartbeat),
    });
    const store = home.store();
    const [okTry] = await store.tries(home.runIds.ok, 'silver');
    const withWorkers = Object.assign(store, {
      listWorkers: async () => [
        worker('w1', 'etl-2', 4242, 3_600_000, 5_000),
        worker('w2', 'etl-3', 77, 7_200_000, 600_000),
      ],
      runningTries: async () => [
        { ...okTry!, process: { host: 'etl-2', pid: 4242, command: 'fintech-etl worker' } },
      ],
    });
    const lake = new LakeFiles(home.lake);
    const gold = await GoldDatabase.open(lake);
    const app = createWebApp({
      data: {
        gold,
        lake,
        lineage: new LineageReader(home.config.projectDir, 'duckdb'),
        runs: new RunStateReader({
          open: async () => withWorkers,
          exists: () => true,
          logsDir: join(home.home, 'logs'),
          heartbeatTimeoutMs: 120_000,
        }),
        launcher: new CliLauncher({ home: home.home, configFile: undefined, cwd: home.home, env: {} }),
      },
      auth: new OperatorAuth(undefined, false),
      currency: 'KRW',
    });
    const body = await (await app.request('/api/pipeline')).json();
    expect(body.workers).toEqual([
      expect.objectContaining({
        id: 'w1',
        host: 'etl-2',
        pid: 4242,
        running: [`${home.runIds.ok}/silver/1`],
        alive: true,
      }),
      expect.objectContaining({ id: 'w2', host: 'etl-3', pid: 77, running: [], alive: false }),
    ]);
    gold.close();
  });

  it('refuses the operator buttons without the operator token, starting nothing', async () => {
    const before = (await home.store().listRuns({})).length;
    const noToken = await post(readOnly, '/api/pipeline/rerun', { date: UNRUN_DATE });
    expect(noToken.status).toBe(403);
    expect(noToken.body.error).toContain('serve.token is not set');
    for (const token of [undefined, 'not-the-token']) {
      const refused = await post(server, '/api/pipeline/backfill', { from: OK_DATE, to: UNRUN_DATE }, token);
      expect(refused.status).toBe(401);
    }
    expect((await get(server, '/api/pipeline')).body.launches).toEqual([]);
    expect((await home.store().listRuns({})).length).toBe(before);
  });

  it('checks the buttons’ parameters before starting anything', async () => {
    const cases: [unknown, string][] = [
      [{}, "parameter 'date' is required: the logical date to run (YYYY-MM-DD)"],
      [{ date: '2025-02-30' }, "parameter 'date' is not a date (YYYY-MM-DD): '2025-02-30'"],
      [{ date: OK_DATE, force: 'yes' }, "parameter 'force' has value 'yes'; allowed: true, false"],
      [{ date: ['2025-01-30'] }, "parameter 'date' must be a string, number or boolean"],
    ];
    for (const [body, error] of cases) {
      expect(await post(server, '/api/pipeline/rerun', body, TOKEN)).toEqual({
        status: 400,
        body: { error },
      });
    }
    expect((await post(server, '/api/pipeline/backfill', { from: OK_DATE }, TOKEN)).body.error).toBe(
      "parameters 'from' and 'to' are required: the first and last logical dates",
    );
    expect(
      (await post(server, '/api/pipeline/backfill', { from: '2024-01-01', to: '2025-06-01' }, TOKEN)).body
        .error,
    ).toBe('the date range 2024-01-01 … 2025-06-01 spans 518 days; at most 366 are allowed');
    const notJson = await fetch(new URL('/api/pipeline/rerun', server.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: 'date=2025-01-30',
    });
    expect(notJson.status).toBe(400);
    expect((await get(server, '/api/pipeline')).body.launches).toEqual([]);
  });

  it('with the token, reruns a failed date through the CLI: the run resumes and the grid shows it healed', async () => {
    const started = await post(server, '/api/pipeline/rerun', { date: FAILED_DATE }, TOKEN);
    expect(started.status).toBe(202);
    expect(started.body.launched).toMatchObject({
      command: `fintech-etl run --date ${FAILED_DATE}`,
      running: true,
    });
    // One at a time: a second click while it runs is refused, not queued.
    const second = await post(server, '/api/pipeline/rerun', { date: UNRUN_DATE }, TOKEN);
    expect(second.status).toBe(409);
    expect(second.body.error).toContain(`'fintech-etl run --date ${FAILED_DATE}'`);

    const [launch] = await launchesEnded();
    expect(launch).toMatchObject({ command: `fintech-etl run --date ${FAILED_DATE}`, exit_code: 0 });
    expect(launch!.output_tail.at(-1)).toBe(
      `run ${home.runIds.failed}  logical date ${FAILED_DATE}: success`,
    );

    const run = await home.store().getRun(home.runIds.failed);
    expect(run).toMatchObject({ state: 'success', trigger: 'manual' });
    const tries = await home.store().tries(home.runIds.failed, 'tests');
    expect(tries.map((attempt) => [attempt.tryNumber, attempt.state])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'success'],
    ]);
    const healed = row((await grid()).rows, FAILED_DATE);
    expect(healed.run?.state).toBe('success');
    expect(healed.cells['tests']).toEqual({ state: 'success', tries: 3, reused: false });
    expect(healed.cells['gold']).toEqual({ state: 'success', tries: 1, reused: false });
  }, 120_000);

  it('with the token, backfills a range through the CLI under the same writer lease', async () => {
    // The CLI waits for the writer lease like any writer: held here, the backfill cannot start its runs.
    const store = home.store();
    const lease = await acquireLease({ store, name: WRITER_LEASE });
    const started = await post(server, '/api/pipeline/backfill', { from: OK_DATE, to: UNRUN_DATE }, TOKEN);
    expect(started.status).toBe(202);
    expect(started.body.launched.command).toBe(`fintech-etl backfill --from ${OK_DATE} --to ${UNRUN_DATE}`);
    const deadline = Date.now() + 60_000;
    while (
      !(await get(server, '/api/pipeline')).body.launches[0].output_tail.some((line: string) =>
        line.includes('taking the writer lease'),
      )
    ) {
      if (Date.now() > deadline) throw new Error('the backfill never got to the writer lease');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Past that point a run starts within milliseconds, unless the lease holds it back.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(row((await grid()).rows, UNRUN_DATE).runs).toBe(0);
    expect((await get(server, '/api/pipeline')).body.launches[0].running).toBe(true);
    await lease.release();

    const [launch] = await launchesEnded();
    expect(launch).toMatchObject({ exit_code: 0 });
    const rows = (await grid()).rows;
    expect(row(rows, UNRUN_DATE)).toMatchObject({ runs: 1, run: { state: 'success', trigger: 'backfill' } });
    // The dates that had succeeded are left as they were: `run` of a succeeded date does nothing.
    expect(row(rows, OK_DATE).runs).toBe(1);
    expect((await get(server, '/api/pipeline')).body.plan.counts).toEqual({
      'no bronze': 26,
      'up to date': 4,
    });
  }, 120_000);

  it('puts no card number in any response', () => {
    expect(responses.length).toBeGreaterThan(10);
    for (const text of responses) expect(text).not.toMatch(PAN_LIKE);
  });
});
