/**
 * Operating the daily DAG through the real binary (DuckDB): `scheduler --once` with a fixed "now" catches up the
 * missed dates in order and then has nothing due; `task` runs one task of a date over the recorded outputs of
 * its dependencies; `logs RUN` prints the failure report of a run whose model test failed (the task, the error
 * sentence, the test's SQL and sample rows, the last log lines) and `logs RUN TASK --try N` that try's log;
 * `export airflow` writes a DAG file that Python compiles, with the DAG's tasks, retries and dependencies.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { addDays, type IsoDate } from '../../src/core/dates.ts';
import { generateBronze } from '../../src/generate/generate-bronze.ts';
import { openLake } from '../../src/lake/open-lake.ts';
import { testSettings } from '../helpers/lake-files.ts';
import { END_TO_END_SETUP_MS } from '../helpers/pipeline-harness.ts';
import { type CliHome, createCliHome } from './helpers/cli-home.ts';

const FIRST = '2025-03-01' as IsoDate;
const SETTINGS = testSettings({ rowsPerDay: 400, customers: 120, merchants: 30 });
const SHIPPED_PROJECT = fileURLToPath(new URL('../../pipeline', import.meta.url));
const AIRFLOW_STUBS = fileURLToPath(new URL('../../src/orchestrator/export/airflow-stubs', import.meta.url));
const homes: CliHome[] = [];

afterAll(() => {
  for (const home of homes) home.remove();
});

async function homeWithBronze(days: number, yaml = ''): Promise<CliHome> {
  const home = createCliHome({ yaml });
  homes.push(home);
  const lake = await openLake(loadConfig({ home: home.home, cwd: home.home, env: {} }));
  await generateBronze({ lake, settings: SETTINGS, from: FIRST, to: addDays(FIRST, days - 1) });
  await lake.close();
  return home;
}

describe('fintech-etl scheduler --once', () => {
  it(
    'catches up the missed dates in order with a fixed now, then reports nothing due',
    async () => {
      const home = await homeWithBronze(
        3,
        'scheduler:\n  schedule: "0 6 * * *"\n  timezone: Asia/Seoul\n  start_date: 2025-03-01\n  catchup: true',
      );
      // 07:00 in Seoul on 4 March: the ticks of 2, 3 and 4 March have closed 1, 2 and 3 March.
      const now = { FINTECH_ETL_NOW: '2025-03-04T07:00:00+09:00' };
      const first = await home.cli(['scheduler', '--once'], now);
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toContain(
        'due: 2025-03-01, 2025-03-02, 2025-03-03; next tick 2025-03-04T21:00:00.000Z',
      );
      expect(first.stdout.match(/^ {2}(\S+) {2}success/gm)).toEqual([
        '  2025-03-01  success',
        '  2025-03-02  success',
        '  2025-03-03  success',
      ]);
      const opened = await home.open();
      try {
        const runs = (await opened.state.listRuns({})).reverse();
        expect(runs.map((run) => [run.logicalDate, run.state, run.trigger])).toEqual([
          ['2025-03-01', 'success', 'scheduler'],
          ['2025-03-02', 'success', 'scheduler'],
          ['2025-03-03', 'success', 'scheduler'],
        ]);
      } finally {
        await opened.close();
      }
      const again = await home.cli(['scheduler', '--once'], now);
      expect(again.status, again.stderr).toBe(0);
      expect(again.stdout).toContain('nothing due; next tick 2025-03-04T21:00:00.000Z');
      expect(again.stdout).not.toMatch(/success/);
    },
    END_TO_END_SETUP_MS,
  );
});

describe('fintech-etl task, logs and export airflow', () => {
  it(
    'runs one task over its recorded inputs; refuses one whose dependencies have not run',
    async () => {
      const home = await homeWithBronze(1);
      const early = await home.cli(['task', 'load', '--date', FIRST]);
      expect(early.status).toBe(1);
      expect(early.stderr).toContain(
        `task load cannot run for ${FIRST}: its dependencies have not succeeded: quality (not run)`,
      );
      for (const task of ['silver', 'quality', 'load', 'models', 'tests']) {
        const result = await home.cli(['task', task, '--date', FIRST]);
        expect(result.status, `${task}: ${result.stderr}`).toBe(0);
      }
      const opened = await home.open();
      try {
        const [run] = await opened.state.listRuns({ logicalDate: FIRST });
        expect(run).toMatchObject({ state: 'queued', trigger: 'task' });
        const instances = await opened.state.taskInstances(run!.runId);
        const stateOf = (task: string) => instances.find((instance) => instance.task === task)?.state;
        for (const task of ['silver', 'quality', 'load', 'models', 'tests'])
          expect(stateOf(task), task).toBe('success');
        expect(stateOf('gold')).not.toBe('success');
      } finally {
        await opened.close();
      }
      const gold = await home.cli(['task', 'gold', '--date', FIRST]);
      expect(gold.status, gold.stderr).toBe(0);
      const runs = JSON.parse((await home.cli(['--json', 'runs'])).stdout) as {
        state: string;
        tasks: unknown[];
      }[];
      expect(runs).toHaveLength(1);
      expect(runs[0]!.state).toBe('success');
    },
    END_TO_END_SETUP_MS,
  );

  it(
    'prints the failure report of a run whose model test failed: task, error, SQL, sample rows, log lines',
    async () => {
      const home = await homeWithBronze(1, 'models:\n  project: project');
      const project = join(home.home, 'project');
      cpSync(SHIPPED_PROJECT, project, { recursive: true });
      writeFileSync(
        join(project, 'tests', 'assert_no_positive_amount.sql'),
        "-- A rule every feed breaks: no amount above zero.\nselect transaction_id, amount, currency from {{ ref('fact_transactions') }} where amount > 0\n",
      );
      const run = await home.cli(['run', '--date', FIRST]);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(
        /^fintech-etl: run for 2025-03-01 failed in task tests: model tests: \d+ passed, 0 warned, 1 failed: assert_no_positive_amount \(see audit.test_failures\) \(fintech-etl logs run-2025-03-01-\S+\)\n$/,
      );
      // A failing test is not retried: another try reads the same rows.
      expect(run.stdout).toMatch(/FAIL tests .* 1 try /);

      const report = await home.cli(['logs', FIRST]);
      expect(report.status, report.stderr).toBe(0);
      const text = report.stdout;
      expect(text).toMatch(
        /^run run-2025-03-01-\S+ {2}daily_batch_etl {2}logical date 2025-03-01 {2}failed \(task\)/,
      );
      expect(text).toContain('failed task: tests, try 1');
      expect(text).toMatch(/error: model tests: \d+ passed, 0 warned, 1 failed: assert_no_positive_amount/);
      expect(text).toContain('not run because of it: gold');
      expect(text).toMatch(
        /failing test assert_no_positive_amount on \S+ \[error, fail\] — \d{3} offending rows/,
      );
      expect(text).toMatch(
        / {4}select transaction_id, amount, currency from "core"\."fact_transactions" where amount > 0/,
      );
      expect(text).toMatch(
        /sample \(5 of 5\):\n {4}\{"transaction_id":"[^"]+","amount":"\d+\.\d\d","currency":"[A-Z]{3}"\}/,
      );
      expect(text).toMatch(/last lines of .*\/logs\/run-2025-03-01-\S+\/tests\/try-1\.log:/);
      expect(text).toMatch(/\n {2}\d\d:\d\d:\d\d\.\d{3} task-finished failed in \d+\.\d\d s: model tests/);
      expect(text).toMatch(/whole log: fintech-etl logs run-2025-03-01-\S+ tests --try 1\n$/);

      const json = JSON.parse((await home.cli(['--json', 'logs', FIRST])).stdout);
      expect(json.failure).toMatchObject({ task: 'tests', tryNumber: 1, failureKind: 'error' });
      expect(json.failure.checks).toHaveLength(1);
      expect(json.failure.checks[0]).toMatchObject({
        check: 'test',
        name: 'assert_no_positive_amount',
        status: 'fail',
      });

      const log = await home.cli(['logs', FIRST, 'tests', '--try', '1']);
      expect(log.stdout).toMatch(/^tests try 1 of run run-2025-03-01-\S+: failed — model tests/);
      expect(log.stdout).toMatch(/task-started/);
      expect(log.stdout).toMatch(/check-failed/);
      const missing = await home.cli(['logs', FIRST, 'tests', '--try', '2']);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toMatch(/task tests of run run-2025-03-01-\S+ has no try 2 \(tries: 1\)/);
      const unknown = await home.cli(['logs', 'run-nope']);
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toBe(
        "fintech-etl: no run 'run-nope' is recorded (fintech-etl runs lists them)\n",
      );
    },
    END_TO_END_SETUP_MS,
  );

  it('exports an Airflow DAG file with the DAG’s tasks, retries (config overrides included) and dependencies', async () => {
    const home = createCliHome({
      yaml: 'scheduler:\n  start_date: 2025-03-01\norchestrator:\n  tasks:\n    load: { retries: 5, retry_delay: 2m }',
    });
    homes.push(home);
    const out = join(home.home, 'dags');
    const result = await home.cli(['export', 'airflow', '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    const file = join(out, 'daily_batch_etl.py');
    expect(result.stdout).toBe(`wrote ${file} (6 tasks: silver → quality → load → models → tests → gold)\n`);
    execFileSync('python3', ['-m', 'py_compile', file], {
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    const listed = JSON.parse(
      execFileSync('python3', [join(AIRFLOW_STUBS, 'list_dag.py'), file], {
        env: { ...process.env, PYTHONPATH: AIRFLOW_STUBS, PYTHONDONTWRITEBYTECODE: '1' },
        encoding: 'utf8',
      }),
    ) as {
      dag_id: string;
      tasks: {
        task_id: string;
        bash_command: string;
        retries: number;
        retry_delay: number;
        upstream: string[];
      }[];
    };
    expect(listed.dag_id).toBe('daily_batch_etl');
    expect(listed.tasks.map((task) => [task.task_id, task.upstream, task.retries, task.retry_delay])).toEqual(
      [
        ['silver', [], 2, 30],
        ['quality', ['silver'], 1, 30],
        ['load', ['quality'], 5, 120],
        ['models', ['load'], 2, 30],
        ['tests', ['models'], 1, 30],
        ['gold', ['models', 'tests'], 2, 30],
      ],
    );
    expect(listed.tasks[0]!.bash_command).toBe(
      `fintech-etl --home ${home.home} task silver --date {{ data_interval_start.in_timezone('Asia/Seoul') | ds }}`,
    );
    expect(readFileSync(file, 'utf8')).toContain('start_date=pendulum.datetime(2025, 3, 1, tz="Asia/Seoul")');
  });
});
