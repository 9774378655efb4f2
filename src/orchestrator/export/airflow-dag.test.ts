import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { IsoDate } from '../../core/dates.ts';
import { defineDag } from '../definitions/dag.ts';
import { defineTask } from '../definitions/task-definition.ts';
import { renderAirflowDag } from './airflow-dag.ts';

const STUBS = fileURLToPath(new URL('./airflow-stubs', import.meta.url));
const noop = async () => undefined;

const dag = defineDag({
  name: 'daily_batch_etl',
  description: 'card transactions: bronze → silver → warehouse → marts → gold',
  maxActiveTasks: 2,
  tasks: [
    defineTask({
      name: 'silver',
      retry: { retries: 2, retryDelay: 30, backoff: 'exponential', maxRetryDelay: 600 },
      timeoutSeconds: 3600,
      run: noop,
    }),
    defineTask({
      name: 'entity_snapshots',
      retry: { retries: 1, retryDelay: 10, backoff: 'none' },
      run: noop,
    }),
    defineTask({
      name: 'load',
      dependsOn: ['silver', 'entity_snapshots'],
      retry: { retries: 5, retryDelay: 15, backoff: 'linear', jitter: 0.2 },
      run: noop,
    }),
    defineTask({ name: 'models', dependsOn: ['load'], run: noop }),
  ],
});

function generate(timezone: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fintech-airflow-'));
  const file = join(dir, 'daily_batch_etl.py');
  writeFileSync(
    file,
    renderAirflowDag(dag, {
      schedule: '0 6 * * *',
      timezone,
      startDate: '2025-03-01' as IsoDate,
      catchup: true,
      maxActiveRuns: 1,
      command: '/opt/fintech-etl/bin/fintech-etl --home "/srv/etl home"',
    }),
  );
  return file;
}

describe('renderAirflowDag', () => {
  it('writes Python that compiles', () => {
    const file = generate('Asia/Seoul');
    execFileSync('python3', ['-m', 'py_compile', file]);
  });

  it('declares one BashOperator per task with the same retries, backoff, timeout and dependencies', () => {
    const file = generate('Asia/Seoul');
    const listed = JSON.parse(
      execFileSync('python3', [join(STUBS, 'list_dag.py'), file], {
        env: { ...process.env, PYTHONPATH: STUBS, PYTHONDONTWRITEBYTECODE: '1' },
        encoding: 'utf8',
      }),
    );
    const date = "{{ data_interval_start.in_timezone('Asia/Seoul') | ds }}";
    const command = '/opt/fintech-etl/bin/fintech-etl --home "/srv/etl home"';
    expect(listed).toEqual({
      dag_id: 'daily_batch_etl',
      schedule: '0 6 * * *',
      start_date: '2025-03-01T00:00:00+09:00',
      catchup: true,
      max_active_runs: 1,
      tasks: [
        {
          task_id: 'silver',
          bash_command: `${command} task silver --date ${date}`,
          retries: 2,
          retry_delay: 30,
          retry_exponential_backoff: true,
          max_retry_delay: 600,
          execution_timeout: 3600,
          upstream: [],
        },
        {
          task_id: 'entity_snapshots',
          bash_command: `${command} task entity_snapshots --date ${date}`,
          retries: 1,
          retry_delay: 10,
          retry_exponential_backoff: false,
          max_retry_delay: 600,
          execution_timeout: null,
          upstream: [],
        },
        {
          task_id: 'load',
          bash_command: `${command} task load --date ${date}`,
          retries: 5,
          retry_delay: 15,
          retry_exponential_backoff: false,
          max_retry_delay: 600,
          execution_timeout: null,
          upstream: ['entity_snapshots', 'silver'],
        },
        {
          task_id: 'models',
          bash_command: `${command} task models --date ${date}`,
          retries: 0,
          retry_delay: 30,
          retry_exponential_backoff: true,
          max_retry_delay: 600,
          execution_timeout: null,
          upstream: ['load'],
        },
      ],
    });
  });

  it("uses Airflow's {{ ds }} for a UTC schedule, and says what it cannot mirror", () => {
    const text = renderAirflowDag(dag, {
      schedule: '0 6 * * *',
      timezone: 'UTC',
      startDate: '2025-03-01' as IsoDate,
      catchup: false,
      maxActiveRuns: 2,
    });
    expect(text).toContain('LOGICAL_DATE = "{{ ds }}"');
    expect(text).toContain('FINTECH_ETL = "fintech-etl"');
    expect(text).toContain('    # linear backoff has no Airflow equivalent: a fixed retry_delay');
    expect(text).toContain('    tasks["silver"] >> tasks["load"]');
    expect(text).toContain('catchup=False,');
  });
});
