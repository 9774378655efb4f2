import { describe, expect, it } from 'vitest';
import { dateRange, type IsoDate } from '../../core/dates.ts';
import type {
  ProcessIdentity,
  ProjectFingerprint,
  RunRecord,
  TaskInstanceRecord,
} from '../state/state-store.ts';
import { selectBackfillDates } from './backfill-dates.ts';
import { type BronzePartitionNow, type PlanInput, planDates } from './plan-dates.ts';

const NOW = new Date('2025-03-20T06:00:00Z');
const DRIVER: ProcessIdentity = { pid: 77, host: 'etl-1', command: 'fintech-etl backfill' };
const ORDER = ['silver', 'load', 'models', 'tests', 'gold'];
const PROJECT: ProjectFingerprint = {
  hash: 'p2',
  models: { fact_transactions: 'f2', mart_rfm: 'r1', 'macro:macros/money.sql': 'm1' },
};
const OLD_PROJECT: ProjectFingerprint = {
  hash: 'p1',
  models: { fact_transactions: 'f1', mart_rfm: 'r1', mart_old: 'o1', 'macro:macros/money.sql': 'm1' },
};
const bronzeOf = (rows: number, fingerprint = 'fp-tx'): Record<string, BronzePartitionNow> => ({
  transactions: { fingerprint, rows },
});

let sequence = 0;
function run(date: string, state: RunRecord['state'], extra: Partial<RunRecord> = {}): RunRecord {
  sequence++;
  return {
    runId: `run-${date}-${sequence}`,
    dag: 'daily',
    logicalDate: date as IsoDate,
    state,
    trigger: 'manual',
    conf: {},
    startedAt: new Date(Date.UTC(2025, 2, 19, 0, sequence)),
    heartbeatAt: new Date(Date.UTC(2025, 2, 19, 0, sequence)),
    process: DRIVER,
    bronzeFingerprints: { transactions: 'fp-tx' },
    projectFingerprint: PROJECT,
    ...extra,
  };
}

function input(overrides: Partial<PlanInput>): PlanInput {
  return {
    dag: { name: 'daily', order: ORDER },
    dates: [],
    now: NOW,
    heartbeatTimeoutMs: 120_000,
    runs: [],
    taskInstances: [],
    bronze: new Map(),
    project: PROJECT,
    freshness: [],
    silverWrites: [],
    ...overrides,
  };
}

const instance = (runId: string, task: string, state: TaskInstanceRecord['state']): TaskInstanceRecord => ({
  runId,
  task,
  state,
  tryNumber: 1,
  updatedAt: NOW,
});

describe('planDates', () => {
  it('gives each date its status and the reason in a sentence', () => {
    const failed = run('2025-03-03', 'failed', {
      failureKind: 'task',
      error: 'task load failed: connection refused (try 3)',
    });
    const killed = run('2025-03-04', 'failed', {
      failureKind: 'killed',
      error: 'the process running it (77 on etl-1) died during task models',
    });
    const stale = run('2025-03-05', 'running', { heartbeatAt: new Date(NOW.getTime() - 600_000) });
    const live = run('2025-03-06', 'running', { heartbeatAt: new Date(NOW.getTime() - 5_000) });
    const good = run('2025-03-07', 'success');
    const late = run('2025-03-08', 'success');
    const later = run('2025-03-09', 'success');
    const plans = planDates(
      input({
        dates: dateRange('2025-03-01' as IsoDate, '2025-03-09' as IsoDate),
        runs: [
          failed,
          killed,
          stale,
          live,
          good,
          late,
          later,
          run('2025-03-03', 'success', { startedAt: new Date(0) }),
        ],
        taskInstances: [
          instance(failed.runId, 'silver', 'success'),
          instance(failed.runId, 'load', 'failed'),
          instance(failed.runId, 'models', 'upstream_failed'),
          instance(killed.runId, 'silver', 'success'),
          instance(killed.runId, 'load', 'success'),
        ],
        bronze: new Map([
          ['2025-03-01', { ...bronzeOf(100_000), customers: { fingerprint: 'c', rows: 20_000 } }],
          ['2025-03-03', bronzeOf(50)],
          ['2025-03-07', bronzeOf(10)],
          ['2025-03-08', bronzeOf(10)],
        ]),
        freshness: [
          {
            partitionDate: '2025-03-07' as IsoDate,
            lastWrite: { commit: 7, runId: good.runId, dataset: 'transactions' },
            lastBuild: { silverCommit: 7, runId: good.runId },
          },
          {
            partitionDate: '2025-03-08' as IsoDate,
            lastWrite: { commit: 9, runId: later.runId, dataset: 'transactions' },
            lastBuild: { silverCommit: 8, runId: late.runId },
          },
        ],
      }),
    );
    expect(plans.map((plan) => [plan.date, plan.status, plan.reasons, plan.explain.tasks])).toEqual([
      [
        '2025-03-01',
        'missing',
        ['bronze present (customers 20,000 rows, transactions 100,000 rows), never run'],
        ORDER,
      ],
      ['2025-03-02', 'missing', ['no bronze partition of this date yet, never run'], []],
      [
        '2025-03-03',
        'failed',
        [`run ${failed.runId} failed: task load failed: connection refused (try 3)`],
        ['load', 'models', 'tests', 'gold'],
      ],
      [
        '2025-03-04',
        'killed',
        [`run ${killed.runId} was killed: the process running it (77 on etl-1) died during task models`],
        ['models', 'tests', 'gold'],
      ],
      [
        '2025-03-05',
        'killed',
        [
          `run ${stale.runId} was left unfinished by process 77 on etl-1: no heartbeat since ${stale.heartbeatAt.toISOString()}`,
        ],
        ORDER,
      ],
      ['2025-03-06', 'running', [`run ${live.runId} is in progress (process 77 on etl-1)`], []],
      ['2025-03-07', 'up to date', [`built by run ${good.runId}`], []],
      [
        '2025-03-08',
        'late data pending',
        [
          `silver transactions/2025-03-08 was rewritten by run ${later.runId} (silver commit 9) after its marts were built by run ${late.runId} (silver commit 8)`,
        ],
        ORDER,
      ],
      ['2025-03-09', 'up to date', [`built by run ${later.runId}`], []],
    ]);
    expect(plans.map((plan) => plan.wouldRun)).toEqual([
      true,
      false,
      true,
      true,
      true,
      false,
      false,
      true,
      false,
    ]);
    expect(plans[0]!.explain.bronzeRows).toEqual({ transactions: 100_000, customers: 20_000 });
    expect(plans[7]!.explain.silverPartitions).toEqual(['transactions/2025-03-08']);
  });

  it('reports bronze that appeared or changed, and the models that changed, listing every reason', () => {
    const built = run('2025-03-01', 'success', { projectFingerprint: OLD_PROJECT });
    const [plan] = planDates(
      input({
        dates: ['2025-03-01' as IsoDate],
        runs: [built],
        bronze: new Map([
          [
            '2025-03-01',
            { transactions: { fingerprint: 'fp-new', rows: 5 }, merchants: { fingerprint: 'm', rows: 2 } },
          ],
        ]),
        silverWrites: [
          {
            commit: 3,
            runId: built.runId,
            dataset: 'transactions',
            partitionDate: '2025-02-28' as IsoDate,
            writtenAt: NOW,
          },
          {
            commit: 3,
            runId: built.runId,
            dataset: 'transactions',
            partitionDate: '2025-03-01' as IsoDate,
            writtenAt: NOW,
          },
        ],
      }),
    );
    expect(plan).toMatchObject({
      status: 'new bronze',
      newBronze: ['merchants', 'transactions'],
      changedModels: ['fact_transactions', 'mart_old (removed)'],
      reasons: [
        `bronze changed since run ${built.runId}: merchants (appeared), transactions (changed)`,
        `models changed since run ${built.runId}: fact_transactions, mart_old (removed)`,
      ],
      explain: { tasks: ORDER, silverPartitions: ['transactions/2025-02-28', 'transactions/2025-03-01'] },
    });
  });

  it('lists exactly the dates built before a model change as models changed', () => {
    const runs = [
      ...['2025-03-01', '2025-03-02', '2025-03-03'].map((date) =>
        run(date, 'success', { projectFingerprint: OLD_PROJECT }),
      ),
      ...['2025-03-04', '2025-03-05'].map((date) => run(date, 'success')),
    ];
    const plans = planDates(
      input({ dates: dateRange('2025-03-01' as IsoDate, '2025-03-05' as IsoDate), runs }),
    );
    expect(plans.map((plan) => plan.status)).toEqual([
      'models changed',
      'models changed',
      'models changed',
      'up to date',
      'up to date',
    ]);
  });

  it('plans 1,100 dates', () => {
    const dates = dateRange('2022-01-01' as IsoDate, '2025-01-04' as IsoDate);
    expect(dates).toHaveLength(1100);
    const plans = planDates(input({ dates, runs: dates.map((date) => run(date, 'success')) }));
    expect(plans.filter((plan) => plan.status === 'up to date')).toHaveLength(1100);
  });
});

describe('selectBackfillDates', () => {
  const plans = planDates(
    input({
      dates: dateRange('2025-03-01' as IsoDate, '2025-03-06' as IsoDate),
      runs: [
        run('2025-03-02', 'failed', { failureKind: 'task', error: 'x' }),
        run('2025-03-03', 'failed', { failureKind: 'killed', error: 'y' }),
        run('2025-03-04', 'success', { projectFingerprint: OLD_PROJECT }),
        run('2025-03-05', 'success'),
      ],
      bronze: new Map([
        ['2025-03-01', bronzeOf(1)],
        ['2025-03-02', bronzeOf(1)],
        ['2025-03-03', bronzeOf(1)],
        ['2025-03-04', bronzeOf(1)],
        ['2025-03-05', bronzeOf(1)],
      ]),
    }),
  );
  const picked = (reprocess: 'none' | 'failed' | 'all') =>
    selectBackfillDates(plans, reprocess).dates.map((date) => `${date.date}${date.force ? ' (force)' : ''}`);

  it('runs only never-run and unfinished dates with none, everything not up to date with failed, all with all', () => {
    expect(picked('none')).toEqual(['2025-03-01', '2025-03-03']);
    expect(picked('failed')).toEqual(['2025-03-01', '2025-03-02', '2025-03-03', '2025-03-04 (force)']);
    expect(picked('all')).toEqual([
      '2025-03-01',
      '2025-03-02',
      '2025-03-03',
      '2025-03-04 (force)',
      '2025-03-05 (force)',
    ]);
    expect(selectBackfillDates(plans, 'all').skipped).toEqual([
      { date: '2025-03-06', status: 'missing', reason: 'no bronze partition of this date yet, never run' },
    ]);
  });
});
