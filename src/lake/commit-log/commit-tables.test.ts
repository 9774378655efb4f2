import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type S3TestServer, startS3TestServer } from '../../../test/helpers/s3-test-server.ts';
import { LocalObjectStore } from '../local/local-object-store.ts';
import type { ObjectStore } from '../object-store.ts';
import { S3ObjectStore } from '../s3/s3-object-store.ts';
import { type CommitStep, commitTables, recoverTransactions, type TableDefinition } from './commit-tables.ts';
import { checkpointKey, lastCheckpointKey, logEntryKey } from './delta-log.ts';
import { readTableCommits } from './read-table-commits.ts';
import { clearSnapshotCache, readTableSnapshot, readTableSnapshots } from './read-table-snapshot.ts';
import { vacuumTables } from './vacuum-tables.ts';
import { acquireObjectLease, LeaseBusyError, LeaseLostError, type WriterLease } from './writer-lease.ts';

const SILVER: TableDefinition = {
  table: 'silver/transactions',
  partitionColumns: ['event_date', 'merchant_category'],
  columns: [
    { name: 'transaction_id', type: 'VARCHAR', nullable: false },
    { name: 'amount', type: 'DECIMAL(18,2)' },
    { name: 'txn_ts', type: 'TIMESTAMP' },
    { name: 'reason_codes', type: 'VARCHAR[]' },
    { name: 'event_date', type: 'DATE' },
    { name: 'merchant_category', type: 'VARCHAR' },
  ],
};
const INDEX: TableDefinition = {
  table: 'silver/_index/transactions',
  partitionColumns: ['ingest_date'],
  columns: [{ name: 'transaction_id', type: 'VARCHAR' }],
};

class InjectedCrash extends Error {}
const crashAt =
  (wanted: CommitStep['step'], table?: string) =>
  (step: CommitStep): void => {
    if (step.step === wanted && (!table || ('table' in step && step.table === table))) {
      throw new InjectedCrash(`crash at ${wanted}`);
    }
  };

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3TestServer();
});
afterAll(async () => server?.stop());

const stores: [string, () => ObjectStore][] = [
  ['local folder', () => new LocalObjectStore(mkdtempSync(join(tmpdir(), 'commit-log-')))],
  [
    'S3 (fauxqs)',
    () =>
      new S3ObjectStore({
        client: server.client(),
        bucket: server.bucket,
        prefix: `commit-log-${Math.random().toString(36).slice(2, 8)}`,
        encryption: { kind: 'AES256' },
      }),
  ],
];

describe.each(stores)('table commit log on %s', (_name, openStore) => {
  let store: ObjectStore;
  let lease: WriterLease;
  let counter = 0;

  beforeEach(async () => {
    clearSnapshotCache();
    store = openStore();
    lease = await acquireObjectLease(store, 'lake', { settleMs: 5 });
    return async () => {
      await lease.release();
    };
  });

  /** Puts a data object under a never-reused name and describes it for a commit. */
  async function dataFile(table: TableDefinition, partition: Record<string, string>, rows: number) {
    const folder = Object.entries(partition)
      .map(([column, value]) => `${column}=${value}`)
      .join('/');
    const key = `${table.table}/${folder}/part-00000-run${++counter}.parquet`;
    const info = await store.put(key, `rows:${rows}`, { ifAbsent: true });
    return { key, partitionValues: partition, size: info.size, numRecords: rows };
  }

  const food = { event_date: '2025-03-01', merchant_category: 'food & drink' };
  const travel = { event_date: '2025-03-01', merchant_category: 'travel' };

  it('writes version 0 as Delta actions, one JSON object per line', async () => {
    const file = await dataFile(SILVER, food, 3);
    const result = await commitTables(store, [{ definition: SILVER, add: [file], remove: [] }], {
      lease,
      operation: 'WRITE',
      runId: 'run-1',
      now: () => 1_740_787_200_000,
    });
    expect(result.versions).toEqual({ 'silver/transactions': 0 });
    const text = (await store.get('silver/transactions/_delta_log/00000000000000000000.json')).toString();
    const lines = text.trimEnd().split('\n');
    const actions = lines.map((line) => JSON.parse(line) as Record<string, Record<string, unknown>>);
    expect(actions.map((action) => Object.keys(action))).toEqual([
      ['commitInfo'],
      ['protocol'],
      ['metaData'],
      ['add'],
    ]);
    expect(actions[1]!['protocol']).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['timestampNtz'],
      writerFeatures: ['timestampNtz'],
    });
    const metaData = actions[2]!['metaData']!;
    expect(metaData['format']).toEqual({ provider: 'parquet', options: {} });
    expect(metaData['partitionColumns']).toEqual(['event_date', 'merchant_category']);
    expect(metaData['configuration']).toEqual({});
    expect(metaData['id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(metaData['schemaString'] as string)).toEqual({
      type: 'struct',
      fields: [
        { name: 'transaction_id', type: 'string', nullable: false, metadata: {} },
        { name: 'amount', type: 'decimal(18,2)', nullable: true, metadata: {} },
        { name: 'txn_ts', type: 'timestamp_ntz', nullable: true, metadata: {} },
        {
          name: 'reason_codes',
          type: { type: 'array', elementType: 'string', containsNull: true },
          nullable: true,
          metadata: {},
        },
        { name: 'event_date', type: 'date', nullable: true, metadata: {} },
        { name: 'merchant_category', type: 'string', nullable: true, metadata: {} },
      ],
    });
    expect(actions[3]!['add']).toEqual({
      path: `event_date=2025-03-01/merchant_category=food%20%26%20drink/part-00000-run${counter}.parquet`,
      partitionValues: food,
      size: file.size,
      modificationTime: 1_740_787_200_000,
      dataChange: true,
      stats: '{"numRecords":3}',
    });
    expect(actions[0]!['commitInfo']).toMatchObject({
      timestamp: 1_740_787_200_000,
      operation: 'WRITE',
      engineInfo: 'fintech-etl/0.1.0',
      isBlindAppend: true,
    });
  });

  it('resolves live files per partition through the log, never from the folders', async () => {
    const a = await dataFile(SILVER, food, 3);
    const b = await dataFile(SILVER, travel, 2);
    await commitTables(store, [{ definition: SILVER, add: [a, b], remove: [] }], {
      lease,
      operation: 'WRITE',
      runId: 'r1',
    });
    const a2 = await dataFile(SILVER, food, 4);
    await dataFile(SILVER, food, 99); // put, never committed
    await commitTables(store, [{ definition: SILVER, add: [a2], remove: [a.key] }], {
      lease,
      operation: 'MERGE',
      runId: 'r2',
    });
    for (const snapshot of [
      await readTableSnapshot(store, SILVER.table),
      await readTableSnapshot(store, SILVER.table, { noCache: true }),
    ]) {
      expect(snapshot.version).toBe(1);
      expect(snapshot.files(food).map((file) => file.key)).toEqual([a2.key]);
      expect(snapshot.files(food)[0]).toMatchObject({ numRecords: 4, partitionValues: food });
      expect(
        snapshot
          .files()
          .map((file) => file.key)
          .sort(),
      ).toEqual([a2.key, b.key].sort());
      expect(snapshot.partitions()).toHaveLength(2);
    }
    await expect(
      commitTables(store, [{ definition: SILVER, add: [], remove: [a.key] }], {
        lease,
        operation: 'DELETE',
        runId: 'r3',
      }),
    ).rejects.toThrow(/cannot remove .* it is not a live file/);
  });

  it('gives the versions after a given one with their commit, run and files, a committed record included', async () => {
    const a = await dataFile(SILVER, food, 3);
    const i1 = await dataFile(INDEX, { ingest_date: '2025-03-01' }, 3);
    await commitTables(
      store,
      [
        { definition: SILVER, add: [a], remove: [] },
        { definition: INDEX, add: [i1], remove: [] },
      ],
      {
        lease,
        operation: 'WRITE',
        runId: 'run-a',
      },
    );
    const a2 = await dataFile(SILVER, food, 4);
    const b = await dataFile(SILVER, travel, 1);
    const i2 = await dataFile(INDEX, { ingest_date: '2025-03-02' }, 4);
    // Killed right after its commit point: the record is committed, no table's entry is written yet.
    await expect(
      commitTables(
        store,
        [
          { definition: SILVER, add: [a2, b], remove: [a.key] },
          { definition: INDEX, add: [i2], remove: [] },
        ],
        { lease, operation: 'MERGE', runId: 'run-b', onStep: crashAt('commit-point') },
      ),
    ).rejects.toThrow(InjectedCrash);
    const commits = await readTableCommits(store, SILVER.table, -1);
    expect(commits.map(({ version, runId }) => ({ version, runId }))).toEqual([
      { version: 0, runId: 'run-a' },
      { version: 1, runId: 'run-b' },
    ]);
    expect(commits[1]!.adds).toEqual([
      { key: a2.key, partitionValues: food },
      { key: b.key, partitionValues: travel },
    ]);
    expect(commits[1]!.removes).toEqual([{ key: a.key, partitionValues: food }]);
    const [index] = await readTableCommits(store, INDEX.table, 0);
    expect(index).toMatchObject({ version: 1, txnId: commits[1]!.txnId, runId: 'run-b' });
    expect(await readTableCommits(store, SILVER.table, 1)).toEqual([]);
  });

  it('a crash before the commit point changes nothing; the next writer commits the next version', async () => {
    const a = await dataFile(SILVER, food, 3);
    await commitTables(store, [{ definition: SILVER, add: [a], remove: [] }], {
      lease,
      operation: 'WRITE',
      runId: 'r1',
    });
    const lost = await dataFile(SILVER, food, 5);
    await expect(
      commitTables(store, [{ definition: SILVER, add: [lost], remove: [a.key] }], {
        lease,
        operation: 'MERGE',
        runId: 'r2',
        onStep: crashAt('before-commit-point'),
      }),
    ).rejects.toThrow(InjectedCrash);
    clearSnapshotCache();
    const after = await readTableSnapshot(store, SILVER.table);
    expect(after.version).toBe(0);
    expect(after.files().map((file) => file.key)).toEqual([a.key]);
    const retry = await dataFile(SILVER, food, 5);
    const result = await commitTables(store, [{ definition: SILVER, add: [retry], remove: [a.key] }], {
      lease,
      operation: 'MERGE',
      runId: 'r2',
    });
    expect(result.versions[SILVER.table]).toBe(1);
    expect((await readTableSnapshot(store, SILVER.table)).files().map((file) => file.key)).toEqual([
      retry.key,
    ]);
  });

  it('a multi-table commit is all or nothing: a crash after its commit point is finished by the next writer', async () => {
    const s = await dataFile(SILVER, food, 3);
    const i = await dataFile(INDEX, { ingest_date: '2025-03-01' }, 3);
    const crashes: CommitStep['step'][] = ['before-commit-point', 'commit-point', 'entry-written'];
    for (const step of crashes) {
      clearSnapshotCache();
      const [silverBefore, indexBefore] = [
        (await readTableSnapshot(store, SILVER.table)).version,
        (await readTableSnapshot(store, INDEX.table)).version,
      ];
      const attempt = commitTables(
        store,
        [
          { definition: SILVER, add: [await dataFile(SILVER, travel, 1)], remove: [] },
          { definition: INDEX, add: [await dataFile(INDEX, { ingest_date: '2025-03-02' }, 1)], remove: [] },
        ],
        {
          lease,
          operation: 'WRITE',
          runId: `crash-${step}`,
          onStep: crashAt(step, step === 'entry-written' ? SILVER.table : undefined),
        },
      );
      await expect(attempt).rejects.toThrow(InjectedCrash);
      clearSnapshotCache();
      const finished = await recoverTransactions(store, { lease });
      const silver = await readTableSnapshot(store, SILVER.table);
      const index = await readTableSnapshot(store, INDEX.table);
      if (step === 'before-commit-point') {
        expect(finished).toEqual([]);
        expect([silver.version, index.version]).toEqual([silverBefore, indexBefore]);
      } else {
        expect(finished).toHaveLength(1);
        expect([silver.version, index.version]).toEqual([silverBefore + 1, indexBefore + 1]);
      }
      expect((await store.list('_transactions/')).objects).toEqual([]);
    }
    // The files of the first, clean commit were never touched.
    const clean = await commitTables(
      store,
      [
        { definition: SILVER, add: [s], remove: [] },
        { definition: INDEX, add: [i], remove: [] },
      ],
      { lease, operation: 'WRITE', runId: 'clean' },
    );
    expect(clean.versions).toEqual({ [SILVER.table]: 2, [INDEX.table]: 2 });
  });

  it('shows readers a multi-table commit whole from its commit point, before any table’s log holds it', async () => {
    const s = await dataFile(SILVER, food, 3);
    const i = await dataFile(INDEX, { ingest_date: '2025-03-01' }, 3);
    for (const step of ['commit-point', 'entry-written'] as const) {
      clearSnapshotCache();
      const before = await readTableSnapshots(store, [SILVER.table, INDEX.table]);
      await expect(
        commitTables(
          store,
          [
            {
              definition: SILVER,
              add: [step === 'commit-point' ? s : await dataFile(SILVER, travel, 1)],
              remove: [],
            },
            {
              definition: INDEX,
              add: [step === 'commit-point' ? i : await dataFile(INDEX, { ingest_date: '2025-03-02' }, 1)],
              remove: [],
            },
          ],
          {
            lease,
            operation: 'WRITE',
            runId: `half-${step}`,
            onStep: crashAt(step, step === 'entry-written' ? SILVER.table : undefined),
          },
        ),
      ).rejects.toThrow(InjectedCrash);
      // Crashed after one table's entry at most: a cold reader still sees both tables at the next version.
      clearSnapshotCache();
      const after = await readTableSnapshots(store, [SILVER.table, INDEX.table]);
      for (const table of [SILVER.table, INDEX.table]) {
        expect(after.get(table)!.version).toBe(before.get(table)!.version + 1);
        expect(after.get(table)!.files().length).toBe(before.get(table)!.files().length + 1);
      }
      const [recovered] = await recoverTransactions(store, { lease });
      expect(recovered).toEqual({ txnId: expect.stringMatching(/^half-/), runId: `half-${step}` });
      clearSnapshotCache();
      expect((await readTableSnapshot(store, INDEX.table)).version).toBe(after.get(INDEX.table)!.version);
    }
  });

  it('takes over at once a lease whose holder died on this host', async () => {
    await lease.release();
    const held = await acquireObjectLease(store, 'dead-holder', { settleMs: 5, isAlive: () => true });
    // The holder is still alive: the lease is busy.
    await expect(
      acquireObjectLease(store, 'dead-holder', { settleMs: 5, isAlive: () => true }),
    ).rejects.toThrow(LeaseBusyError);
    // Its process is gone (a SIGKILL leaves the object behind): taken over without waiting for the ttl.
    const taken = await acquireObjectLease(store, 'dead-holder', { settleMs: 5, isAlive: () => false });
    await expect(held.assertHeld()).rejects.toThrow(LeaseLostError);
    await taken.release();
    lease = await acquireObjectLease(store, 'lake', { settleMs: 5 });
  });

  it('keeps a reader’s files until the retention period passes, then vacuum deletes superseded and orphaned objects', async () => {
    const a = await dataFile(SILVER, food, 3);
    const b = await dataFile(SILVER, travel, 2);
    await commitTables(store, [{ definition: SILVER, add: [a, b], remove: [] }], {
      lease,
      operation: 'WRITE',
      runId: 'r1',
    });
    const readerView = (await readTableSnapshot(store, SILVER.table)).files();
    const a2 = await dataFile(SILVER, food, 4);
    await commitTables(store, [{ definition: SILVER, add: [a2], remove: [a.key] }], {
      lease,
      operation: 'MERGE',
      runId: 'r2',
    });
    const orphan = await dataFile(SILVER, food, 7);

    const now = await vacuumTables(store, [SILVER.table], { lease, retentionHours: 1 });
    expect(now[0]!.deleted).toEqual([]);
    // The superseded file is kept by its young tombstone, the orphan by its age.
    expect(now[0]!.keptYoung).toBe(1);
    // The reader that resolved version 0 still reads every file it was given.
    for (const file of readerView) expect((await store.get(file.key)).toString()).toMatch(/^rows:/);

    const dry = await vacuumTables(store, [SILVER.table], {
      lease,
      retentionHours: 1,
      dryRun: true,
      now: () => Date.now() + 2 * 3_600_000,
    });
    expect(dry[0]!.deleted.sort()).toEqual([a.key, orphan.key].sort());
    expect(await store.head(a.key)).toBeDefined();
    const later = await vacuumTables(store, [SILVER.table], {
      lease,
      retentionHours: 1,
      now: () => Date.now() + 2 * 3_600_000,
    });
    expect(later[0]!.deleted.sort()).toEqual([a.key, orphan.key].sort());
    expect(await store.head(a.key)).toBeUndefined();
    expect(await store.head(orphan.key)).toBeUndefined();
    const live = (await readTableSnapshot(store, SILVER.table)).files();
    for (const file of live) expect(await store.head(file.key)).toBeDefined();
    expect(await store.head(logEntryKey(SILVER.table, 0))).toBeDefined();
  });

  it('gives concurrent readers a whole committed state while a writer keeps replacing a partition', async () => {
    const first = await dataFile(SILVER, food, 0);
    await commitTables(store, [{ definition: SILVER, add: [first], remove: [] }], {
      lease,
      operation: 'WRITE',
      runId: 'w0',
    });
    let current = first.key;
    let writing = true;
    const writer = (async () => {
      for (let round = 1; round <= 12; round++) {
        const next = await dataFile(SILVER, food, round);
        await commitTables(store, [{ definition: SILVER, add: [next], remove: [current] }], {
          lease,
          operation: 'MERGE',
          runId: `w${round}`,
        });
        current = next.key;
      }
      writing = false;
    })();
    const seen = new Set<number>();
    while (writing) {
      const snapshot = await readTableSnapshot(store, SILVER.table, { noCache: true });
      const files = snapshot.files(food);
      // Never zero or two files: each snapshot is one committed version.
      expect(files).toHaveLength(1);
      expect((await store.get(files[0]!.key)).toString()).toBe(`rows:${files[0]!.numRecords}`);
      seen.add(snapshot.version);
    }
    await writer;
    expect((await readTableSnapshot(store, SILVER.table)).version).toBe(12);
    expect(seen.size).toBeGreaterThan(1);
  });

  it('checkpoints every 10 versions, so a cold read after many commits replays at most 9 entries', async () => {
    let previous = await dataFile(SILVER, food, 1);
    await commitTables(store, [{ definition: SILVER, add: [previous], remove: [] }], {
      lease,
      operation: 'WRITE',
      runId: 'c0',
    });
    const steady = await dataFile(SILVER, travel, 1);
    await commitTables(store, [{ definition: SILVER, add: [steady], remove: [] }], {
      lease,
      operation: 'WRITE',
      runId: 'c1',
    });
    for (let version = 2; version <= 24; version++) {
      const next = await dataFile(SILVER, food, version);
      await commitTables(store, [{ definition: SILVER, add: [next], remove: [previous.key] }], {
        lease,
        operation: 'MERGE',
        runId: `c${version}`,
      });
      previous = next;
    }
    expect(JSON.parse((await store.get(lastCheckpointKey(SILVER.table))).toString())).toMatchObject({
      version: 20,
      numOfAddFiles: 2,
    });
    expect(await store.head(checkpointKey(SILVER.table, 10))).toBeDefined();
    // Without the JSON entries up to 20, only the checkpoint can give the state.
    for (let version = 0; version <= 20; version++) await store.delete(logEntryKey(SILVER.table, version));
    const cold = await readTableSnapshot(store, SILVER.table, { noCache: true });
    expect(cold.version).toBe(24);
    expect(
      cold
        .files()
        .map((file) => file.key)
        .sort(),
    ).toEqual([previous.key, steady.key].sort());
    expect(cold.metadata?.partitionColumns).toEqual(['event_date', 'merchant_category']);
    expect(cold.protocol?.minReaderVersion).toBe(3);
    expect(cold.files(food)[0]!.numRecords).toBe(24);
  });

  it('serializes writers with a lease: a second writer is refused, a lost lease commits nothing', async () => {
    await expect(acquireObjectLease(store, 'lake', { settleMs: 5 })).rejects.toThrow(LeaseBusyError);
    await expect(acquireObjectLease(store, 'lake', { settleMs: 5 })).rejects.toThrow(
      /lease 'lake' is held by .* until/,
    );
    // A clock past the lease's expiry: the lease lapsed, another writer takes it.
    const later = () => Date.now() + 10 * 60_000;
    const thief = await acquireObjectLease(store, 'lake', { settleMs: 5, now: later });
    await expect(lease.assertHeld()).rejects.toThrow(LeaseLostError);
    const file = await dataFile(SILVER, food, 1);
    await expect(
      commitTables(store, [{ definition: SILVER, add: [file], remove: [] }], {
        lease,
        operation: 'WRITE',
        runId: 'late',
      }),
    ).rejects.toThrow(/lease 'lake' was lost to .*nothing was committed/);
    expect((await readTableSnapshot(store, SILVER.table)).exists).toBe(false);
    await thief.release();
    const again = await acquireObjectLease(store, 'lake', { settleMs: 5 });
    await again.release();
  });
});

describe('the commit log on S3', () => {
  it('sent server-side encryption with every object it wrote (log entries, checkpoints, leases, data)', () => {
    const writes = server.requests.filter(
      (request) =>
        (request.method === 'PUT' && !('partNumber' in request.query)) ||
        (request.method === 'POST' && 'uploads' in request.query),
    );
    expect(writes.some((request) => request.path.includes('/_delta_log/'))).toBe(true);
    expect(writes.some((request) => request.path.endsWith('.checkpoint.parquet'))).toBe(true);
    expect(writes.some((request) => request.path.includes('/_transactions/'))).toBe(true);
    for (const request of writes)
      expect(request.headers['x-amz-server-side-encryption'], request.path).toBe('AES256');
  });
});

describe('Delta checkpoint file', () => {
  it('has the checkpoint schema of the protocol: structs of string, long, boolean, map<string,string>, array<string>', async () => {
    const root = mkdtempSync(join(tmpdir(), 'checkpoint-schema-'));
    const store = new LocalObjectStore(root);
    const lease = await acquireObjectLease(store, 'lake', { settleMs: 1 });
    for (let version = 0; version <= 10; version++) {
      const key = `silver/transactions/event_date=2025-03-01/merchant_category=food/part-${version}.parquet`;
      await store.put(key, 'x');
      await commitTables(
        store,
        [
          {
            definition: SILVER,
            add: [{ key, partitionValues: { event_date: '2025-03-01', merchant_category: 'food' }, size: 1 }],
            remove: [],
          },
        ],
        { lease, operation: 'WRITE', runId: `v${version}` },
      );
    }
    await lease.release();
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    const file = store.pathOf(checkpointKey(SILVER.table, 10));
    const describe = await connection.runAndReadAll(`describe select * from read_parquet('${file}')`);
    const types = Object.fromEntries(
      describe.getRowObjectsJson().map((row) => [String(row['column_name']), String(row['column_type'])]),
    );
    expect(types['add']).toBe(
      'STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags MAP(VARCHAR, VARCHAR))',
    );
    expect(types['protocol']).toBe(
      'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])',
    );
    expect(types['metaData']).toContain(
      'partitionColumns VARCHAR[], "configuration" MAP(VARCHAR, VARCHAR), createdTime BIGINT',
    );
    const counts = await connection.runAndReadAll(
      `select count(add) as adds, count(remove) as removes, count(metaData) as meta, count(protocol) as protocol,
         max(add.partitionValues['merchant_category']) as category from read_parquet('${file}')`,
    );
    expect(counts.getRowObjectsJson()).toEqual([
      { adds: '11', removes: '0', meta: '1', protocol: '1', category: 'food' },
    ]);
    connection.closeSync();
    db.closeSync();
    rmSync(root, { recursive: true, force: true });
  });
});
