/**
 * Issue 26: two silver commits of dates that share transaction ids, started at once from two `Lake` instances
 * on the same S3 lake (fauxqs), as two workers on two machines would. The later date (which updates the earlier
 * date's transactions) starts first, so processing order is the reverse of arrival order. Silver's commits are
 * serialized by the lake's writer lease (`_leases/lake.json`, src/lake/commit-log/writer-lease.ts), and the
 * version rule (the newest arrival by position wins, src/silver/sql/classify-versions.sql) makes the order they
 * run in irrelevant: silver and the fact hold exactly one row per id, the newest version.
 *
 * The lease is what this test proves, not only the outcome: the second commit was called while the first held
 * the lease, and none of its steps ran until the first had committed (without the lease its steps would
 * interleave with the first's, and it would classify against a version index without the first's versions).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import type { IsoDate } from '../../src/core/dates.ts';
import type { EventSink } from '../../src/core/pipeline-event.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { LEDGER_TABLE, silverTable } from '../../src/lake/lake-layout.ts';
import { openLake } from '../../src/lake/open-lake.ts';
import { S3ObjectStore } from '../../src/lake/s3/s3-object-store.ts';
import { runSilver, type SilverResult } from '../../src/silver/run-silver.ts';
import { HANDBUILT_DIR } from '../helpers/handbuilt-bronze.ts';
import {
  createPipelineHarness,
  END_TO_END_SETUP_MS,
  expectRunOk,
  type PipelineHarness,
} from '../helpers/pipeline-harness.ts';
import {
  createTestDatabase,
  postgresSkipReason,
  type TestDatabase,
} from '../helpers/postgres-test-database.ts';
import { s3LakeYaml, stopSharedS3Server } from '../helpers/test-lake.ts';
import { readSilver, writeBronze } from '../silver/silver-fixture.ts';

const EARLIER = '2025-03-01' as IsoDate;
const LATER = '2025-03-02' as IsoDate;

/** A transaction of the hand-built dataset's customers, cards and merchants (test/fixtures/handbuilt). */
function transaction(id: string, fields: Record<string, unknown>): Record<string, unknown> {
  const customer = { C1: ['CA1', '4111110000000013'], C2: ['CA2', '4111110000000021'] } as const;
  const [card, pan] = customer[fields['customer_id'] as keyof typeof customer];
  return {
    transaction_id: id,
    card_id: card,
    card_number: pan,
    currency: 'KRW',
    status: 'approved',
    is_refund: false,
    channel: 'pos',
    ...fields,
  };
}

const grocery = { merchant_id: 'M1', mcc: '5411' };
const restaurant = { merchant_id: 'M2', mcc: '5812' };

const EARLIER_RECORDS = [
  transaction('U1', {
    customer_id: 'C1',
    ...grocery,
    txn_ts: '2025-03-01T10:00:00+09:00',
    amount: '10000.00',
  }),
  transaction('U2', {
    customer_id: 'C2',
    ...restaurant,
    txn_ts: '2025-03-01T12:00:00+09:00',
    amount: '20000.00',
  }),
  transaction('U3', {
    customer_id: 'C1',
    ...grocery,
    txn_ts: '2025-03-01T13:00:00+09:00',
    amount: '15000.00',
  }),
  transaction('U4', {
    customer_id: 'C2',
    ...grocery,
    txn_ts: '2025-03-01T14:00:00+09:00',
    amount: '30000.00',
  }),
  transaction('U5', {
    customer_id: 'C1',
    ...restaurant,
    txn_ts: '2025-03-01T18:00:00+09:00',
    amount: '5000.00',
  }),
];

/** The later date: a corrected amount, a reversal, a version moved to another event date, and a new id. */
const LATER_RECORDS = [
  { ...EARLIER_RECORDS[0], amount: '9000.00' },
  { ...EARLIER_RECORDS[1], status: 'reversed' },
  { ...EARLIER_RECORDS[2], txn_ts: '2025-02-28T23:30:00+09:00', amount: '14000.00' },
  transaction('U6', {
    customer_id: 'C2',
    ...grocery,
    txn_ts: '2025-03-02T09:00:00+09:00',
    amount: '7000.00',
  }),
];

/** Per id, the newest version: the later date's where it has one. */
const NEWEST = [
  {
    transaction_id: 'U1',
    amount: '9000.00',
    status: 'approved',
    event_date: '2025-03-01',
    ingest_date: LATER,
  },
  {
    transaction_id: 'U2',
    amount: '20000.00',
    status: 'reversed',
    event_date: '2025-03-01',
    ingest_date: LATER,
  },
  {
    transaction_id: 'U3',
    amount: '14000.00',
    status: 'approved',
    event_date: '2025-02-28',
    ingest_date: LATER,
  },
  {
    transaction_id: 'U4',
    amount: '30000.00',
    status: 'approved',
    event_date: '2025-03-01',
    ingest_date: EARLIER,
  },
  {
    transaction_id: 'U5',
    amount: '5000.00',
    status: 'approved',
    event_date: '2025-03-01',
    ingest_date: EARLIER,
  },
  {
    transaction_id: 'U6',
    amount: '7000.00',
    status: 'approved',
    event_date: '2025-03-02',
    ingest_date: LATER,
  },
];

/** Both dates' bronze: transactions, and the hand-built entity snapshots, so the quality gate passes. */
async function writeDays(lake: Lake): Promise<void> {
  for (const [day, records] of [
    [EARLIER, EARLIER_RECORDS],
    [LATER, LATER_RECORDS],
  ] as const) {
    await writeBronze(lake, day, [{ name: 'part-00000.jsonl', lines: [...records] }]);
    for (const dataset of ['customers', 'cards', 'merchants'] as const) {
      const text = readFileSync(join(HANDBUILT_DIR, `${dataset}_2025-01-30.jsonl`), 'utf8');
      await writeBronze(lake, day, [{ name: 'part-00000.jsonl', text }], dataset);
    }
  }
}

const skip = await postgresSkipReason();

describe.skipIf(skip)('two concurrent silver commits of dates sharing transaction ids (S3 lake)', () => {
  let database: TestDatabase;
  let harness: PipelineHarness;
  let otherHome: string;
  /** A second, independent Lake on the harness's lake: its own S3 client, cache and work folder. */
  let otherLake: Lake;

  beforeAll(async () => {
    database = await createTestDatabase();
    harness = await createPipelineHarness({ store: 's3', warehouseUrl: database.url });
    const server = harness.server!;
    const prefix = harness.lake.location.slice(`s3://${server.bucket}/`.length);
    otherHome = mkdtempSync(join(tmpdir(), 'fintech-other-writer-'));
    writeFileSync(join(otherHome, 'fintech-etl.yaml'), s3LakeYaml(server, prefix));
    otherLake = await openLake(loadConfig({ home: otherHome, cwd: otherHome, env: {} }), {
      store: new S3ObjectStore({
        client: server.client(),
        bucket: server.bucket,
        prefix,
        encryption: { kind: 'AES256' },
      }),
    });
    expect(otherLake.location).toBe(harness.lake.location);
    await writeDays(harness.lake);
  }, END_TO_END_SETUP_MS);

  afterAll(async () => {
    await otherLake?.close();
    if (otherHome) rmSync(otherHome, { recursive: true, force: true });
    await harness?.close();
    await database?.drop();
    await stopSharedS3Server();
  });

  it(
    'commits both, one after the other under the lease, with one row per id, the newest, in silver and the fact',
    async () => {
      // Every step each commit reports, in the order they happened, with the moment the earlier date's was called.
      const timeline: string[] = [];
      let laterStarted!: () => void;
      const laterHoldsLease = new Promise<void>((resolve) => {
        laterStarted = resolve;
      });
      const recorder = (date: IsoDate): EventSink => ({
        emit: (event) => {
          timeline.push(`${date} ${event.kind === 'step-timed' ? event.step : event.kind}`);
          if (date === LATER) laterStarted();
        },
      });
      const commit = (lake: Lake, date: IsoDate): Promise<SilverResult> =>
        runSilver({
          config: harness.config,
          lake,
          ingestDate: date,
          runId: `concurrent-${date}`,
          events: recorder(date),
        });

      // The later date first: its first step runs under the lease, and the earlier date is started right then.
      const later = commit(harness.lake, LATER);
      await laterHoldsLease;
      timeline.push(`${EARLIER} called`);
      const earlier = commit(otherLake, EARLIER);
      const [laterResult, earlierResult] = await Promise.all([later, earlier]);

      // The earlier date was called while the later one held the lease and ran nothing until it had committed.
      const called = timeline.indexOf(`${EARLIER} called`);
      const laterCommitted = timeline.indexOf(`${LATER} commit`);
      const earlierSteps = timeline.flatMap((entry, index) =>
        entry.startsWith(`${EARLIER} `) && index !== called ? [index] : [],
      );
      expect(called).toBeGreaterThan(0);
      expect(laterCommitted).toBeGreaterThan(called);
      expect(earlierSteps.length).toBeGreaterThan(0);
      expect(Math.min(...earlierSteps), timeline.join('\n')).toBeGreaterThan(laterCommitted);
      expect(timeline.at(-1)).toBe(`${EARLIER} commit`);

      // The lake's logs: the later date's commit, then the earlier date's, each a version of its own.
      const logs = await harness.lake.commits({ [silverTable('transactions')]: -1, [LEDGER_TABLE]: -1 });
      for (const table of [silverTable('transactions'), LEDGER_TABLE]) {
        const commits = logs.get(table)!;
        expect(commits.map((each) => each.runId)).toEqual([`concurrent-${LATER}`, `concurrent-${EARLIER}`]);
        expect(commits[1]!.version).toBeGreaterThan(commits[0]!.version);
        expect(commits[0]!.txnId).not.toBe(commits[1]!.txnId);
      }
      expect(laterResult.versions[LEDGER_TABLE]).toBe(logs.get(LEDGER_TABLE)![0]!.version);
      expect(earlierResult.versions[LEDGER_TABLE]).toBe(logs.get(LEDGER_TABLE)![1]!.version);

      // The ledger has both entries: the earlier date's versions lost to the newer ones that arrived first.
      expect(laterResult.ledger).toMatchObject({ bronze_rows: 4, inserted: 4, superseded: 0, duplicates: 0 });
      expect(earlierResult.ledger).toMatchObject({
        bronze_rows: 5,
        inserted: 2,
        superseded: 3,
        duplicates: 0,
      });
      const ledger = await Promise.all(
        (await harness.lake.snapshot(LEDGER_TABLE))
          .files()
          .map(async (file) => JSON.parse((await harness.lake.store.get(file.key)).toString('utf8'))),
      );
      expect(
        ledger
          .map((entry) => [entry.ingest_date, entry.run_id, entry.inserted, entry.superseded])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      ).toEqual([
        [EARLIER, `concurrent-${EARLIER}`, 2, 3],
        [LATER, `concurrent-${LATER}`, 4, 0],
      ]);

      // Silver, as either writer reads it: one row per id, the newest version.
      for (const lake of [harness.lake, otherLake]) {
        const silver = await readSilver(lake);
        expect(
          silver.map((row) => ({
            transaction_id: row['transaction_id'],
            amount: row['amount'],
            status: row['status'],
            event_date: row['event_date'],
            ingest_date: row['ingest_date'],
          })),
        ).toEqual(NEWEST);
      }

      // The daily DAG of both dates loads the warehouse (PostgreSQL): one fact row per id, the newest values.
      for (const day of [EARLIER, LATER]) {
        const run = expectRunOk(await harness.run(day));
        // Silver again for the day: nothing newer, so nothing is rewritten, and the ledger still balances.
        expect(run.silver?.ledger).toMatchObject({ inserted: 0, superseded: day === EARLIER ? 3 : 0 });
      }
      const fact = await harness.warehouse.query(
        `select transaction_id, cast(amount as varchar) as amount, status,
           cast(event_date as varchar) as event_date, cast(ingest_date as varchar) as ingest_date
         from core.fact_transactions order by transaction_id`,
      );
      expect(fact.rows).toEqual(NEWEST);
    },
    END_TO_END_SETUP_MS,
  );
});
