/**
 * The control plane end to end on synthetic tasks, on both state stores: backfill a range through the planner's
 * date selection, find the date whose bronze was missing, heal it, see late data, a model change and new bronze
 * reported by `plan`, and a range back to up to date.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateRange, type IsoDate } from '../../src/core/dates.ts';
import { defineDag } from '../../src/orchestrator/definitions/dag.ts';
import { defineTask } from '../../src/orchestrator/definitions/task-definition.ts';
import { runDag } from '../../src/orchestrator/execution/run-dag.ts';
import { selectBackfillDates } from '../../src/orchestrator/planner/backfill-dates.ts';
import { type BronzePartitionNow, planDates } from '../../src/orchestrator/planner/plan-dates.ts';
import { readPlanSnapshot } from '../../src/orchestrator/state/plan-snapshot.ts';
import { PostgresStateStore } from '../../src/orchestrator/state/postgres/postgres-state-store.ts';
import { SqliteStateStore } from '../../src/orchestrator/state/sqlite/sqlite-state-store.ts';
import type { ProjectFingerprint, StateStore } from '../../src/orchestrator/state/state-store.ts';
import {
  createTestDatabase,
  postgresSkipReason,
  type TestDatabase,
} from '../helpers/postgres-test-database.ts';

const DATES = dateRange('2025-03-01' as IsoDate, '2025-03-10' as IsoDate);
const MISSING = '2025-03-05' as IsoDate;

/** A fake lake: bronze partitions by date, each listing the event dates its records fall on. */
class World {
  bronze = new Map<string, { fingerprint: string; rows: number; eventDates: IsoDate[] }>();
  project: ProjectFingerprint = { hash: 'p1', models: { fact: 'f1', mart: 'm1' } };
  failMartsFor = new Set<string>();

  bronzeNow(): Map<string, Record<string, BronzePartitionNow>> {
    return new Map(
      [...this.bronze].map(([date, part]) => [
        date,
        { transactions: { fingerprint: part.fingerprint, rows: part.rows } },
      ]),
    );
  }
}

function pipeline(world: World, store: StateStore) {
  const silver = defineTask({
    name: 'silver',
    run: async ({ logicalDate, runId }) => {
      const part = world.bronze.get(logicalDate);
      if (!part) throw new Error(`no bronze partition transactions/ingest_date=${logicalDate}`);
      await store.recordSilverWrites(
        runId,
        part.eventDates.map((date) => ({ dataset: 'transactions', partitionDate: date })),
        new Date(),
      );
      return { touchedEventDates: part.eventDates };
    },
  });
  const marts = defineTask({
    name: 'marts',
    dependsOn: [silver],
    run: async ({ upstream, runId, logicalDate }) => {
      if (world.failMartsFor.has(logicalDate)) throw new Error('mart_sales_daily: division by zero');
      await store.recordMartsBuilt(runId, upstream.silver.touchedEventDates, new Date());
      return { built: upstream.silver.touchedEventDates.length };
    },
  });
  return defineDag({ name: 'daily', tasks: [silver, marts] });
}

const targets: [string, () => Promise<{ store: StateStore; cleanup?: () => Promise<void> } | undefined>][] = [
  [
    'sqlite',
    async () => ({
      store: new SqliteStateStore(join(mkdtempSync(join(tmpdir(), 'fintech-plan-')), 'state.db')),
    }),
  ],
  [
    'postgres',
    async () => {
      if (await postgresSkipReason()) return undefined;
      const database: TestDatabase = await createTestDatabase();
      return { store: await PostgresStateStore.open(database.url), cleanup: database.drop };
    },
  ],
];

describe.each(targets)('plan and backfill over the %s state store', (_name, open) => {
  let context: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => {
    context = await open();
  });
  afterAll(async () => {
    await context?.store.close();
    await context?.cleanup?.();
  });

  it('backfills 9 of 10 dates, reports the missing one, and heals after its bronze arrives', async (test) => {
    if (!context) test.skip();
    const store = context!.store;
    const logsDir = mkdtempSync(join(tmpdir(), 'fintech-plan-logs-'));
    const world = new World();
    for (const date of DATES) {
      if (date !== MISSING)
        world.bronze.set(date, { fingerprint: `tx-${date}`, rows: 1000, eventDates: [date] });
    }
    const dag = pipeline(world, store);
    const plan = async () =>
      planDates({
        dag,
        dates: DATES,
        now: new Date(),
        heartbeatTimeoutMs: 120_000,
        bronze: world.bronzeNow(),
        project: world.project,
        ...(await readPlanSnapshot(store, dag.name, DATES[0]!, DATES[DATES.length - 1]!)),
      });
    const backfill = async (reprocess: 'none' | 'failed' | 'all') => {
      const selection = selectBackfillDates(await plan(), reprocess);
      const outcomes: string[] = [];
      for (const { date, force } of selection.dates) {
        const result = await runDag({
          dag,
          store,
          logicalDate: date,
          logsDir,
          force,
          trigger: 'backfill',
          facts: {
            bronzeFingerprints: { transactions: world.bronze.get(date)!.fingerprint },
            projectFingerprint: world.project,
          },
        });
        outcomes.push(`${date} ${result.outcome}`);
      }
      return { outcomes, skipped: selection.skipped.map((skip) => `${skip.date} ${skip.reason}`) };
    };

    const first = await backfill('none');
    expect(first.outcomes).toHaveLength(9);
    expect(first.outcomes.every((line) => line.endsWith('success'))).toBe(true);
    expect(first.skipped).toEqual([`${MISSING} no bronze partition of this date yet, never run`]);
    let statuses = await plan();
    expect(
      statuses.filter((entry) => entry.status !== 'up to date').map((entry) => [entry.date, entry.status]),
    ).toEqual([[MISSING, 'missing']]);

    // Its bronze arrives late, with records of 3 March as well; its marts fail once.
    world.bronze.set(MISSING, {
      fingerprint: `tx-${MISSING}`,
      rows: 800,
      eventDates: ['2025-03-03' as IsoDate, MISSING],
    });
    world.failMartsFor.add(MISSING);
    expect((await plan()).find((entry) => entry.date === MISSING)).toMatchObject({
      status: 'missing',
      reasons: ['bronze present (transactions 800 rows), never run'],
      explain: { tasks: ['silver', 'marts'], bronzeRows: { transactions: 800 } },
    });
    expect((await backfill('failed')).outcomes).toEqual([`${MISSING} failed`]);
    statuses = await plan();
    expect(
      statuses.filter((entry) => entry.status !== 'up to date').map((entry) => [entry.date, entry.status]),
    ).toEqual([
      ['2025-03-03', 'late data pending'],
      [MISSING, 'failed'],
    ]);
    expect(statuses.find((entry) => entry.date === MISSING)).toMatchObject({
      reasons: [
        expect.stringMatching(/failed: task marts failed: mart_sales_daily: division by zero \(try 1\)$/),
      ],
      explain: { tasks: ['marts'], silverPartitions: ['transactions/2025-03-03', `transactions/${MISSING}`] },
    });

    world.failMartsFor.clear();
    expect((await backfill('failed')).outcomes).toEqual(['2025-03-03 success', `${MISSING} success`]);
    expect((await plan()).every((entry) => entry.status === 'up to date')).toBe(true);

    // A model change makes every date built before it "models changed"; new bronze for one date shows too.
    world.project = { hash: 'p2', models: { fact: 'f2', mart: 'm1' } };
    world.bronze.set('2025-03-02', { ...world.bronze.get('2025-03-02')!, fingerprint: 'tx-2025-03-02-v2' });
    statuses = await plan();
    expect(statuses.find((entry) => entry.date === '2025-03-02')).toMatchObject({
      status: 'new bronze',
      changedModels: ['fact'],
    });
    expect(statuses.filter((entry) => entry.status === 'models changed')).toHaveLength(9);
    const all = await backfill('failed');
    expect(all.outcomes).toHaveLength(10);
    expect((await plan()).every((entry) => entry.status === 'up to date')).toBe(true);
  });
});
