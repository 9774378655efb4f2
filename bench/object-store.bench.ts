/**
 * The lake's ObjectStore on a local folder vs S3 (fauxqs on loopback, in this process, so its CPU is in the
 * CPU seconds): small-object put/get/list rates, a 64 MiB multipart put and get, then the table commit log:
 * the rate of commits, and what resolving a table's live files costs after BENCH_COMMITS (default 400) commits —
 * cold from the checkpoint, cold at checkpoint + 9 entries, warm from this process's cache, and a full replay of
 * every JSON entry (what a log without checkpoints would cost).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { startFauxqs } from 'fauxqs';
import { measure } from '../src/core/stopwatch.ts';
import { commitTables, type TableDefinition } from '../src/lake/commit-log/commit-tables.ts';
import { readLastCheckpoint } from '../src/lake/commit-log/delta-checkpoint.ts';
import {
  deltaLogPrefix,
  logEntryKey,
  parseLogEntry,
  versionOfLogEntry,
} from '../src/lake/commit-log/delta-log.ts';
import { readTableSnapshot } from '../src/lake/commit-log/read-table-snapshot.ts';
import { TableSnapshot } from '../src/lake/commit-log/table-snapshot.ts';
import { acquireObjectLease } from '../src/lake/commit-log/writer-lease.ts';
import { LocalObjectStore } from '../src/lake/local/local-object-store.ts';
import { listAll, type ObjectStore } from '../src/lake/object-store.ts';
import { S3ObjectStore } from '../src/lake/s3/s3-object-store.ts';
import type { Benchmark } from './run.ts';

const SMALL_OBJECTS = 500;
const SMALL_SIZE = 4096;
const BIG_SIZE = 64 * 1024 * 1024;
const COMMITS = Number(process.env['BENCH_COMMITS'] ?? 400);
const PARTITIONS = 40;

const TABLE: TableDefinition = {
  table: 'silver/transactions',
  partitionColumns: ['event_date', 'merchant_category'],
  columns: [
    { name: 'transaction_id', type: 'VARCHAR' },
    { name: 'amount', type: 'DECIMAL(18,2)' },
    { name: 'event_date', type: 'DATE' },
    { name: 'merchant_category', type: 'VARCHAR' },
  ],
};

async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

function line(label: string, figures: { seconds: number; cpuSeconds: number }, extra = ''): void {
  console.log(
    `  ${label.padEnd(46)} ${figures.seconds.toFixed(3).padStart(8)} s wall ${figures.cpuSeconds.toFixed(3).padStart(8)} s CPU${extra}`,
  );
}

async function objectFigures(store: ObjectStore, scratch: string): Promise<void> {
  const keys = Array.from(
    { length: SMALL_OBJECTS },
    (_, i) => `bench/small/part-${String(i).padStart(5, '0')}.bin`,
  );
  const body = randomBytes(SMALL_SIZE);
  const put = await measure(() => inParallel(keys, 8, (key) => store.put(key, body)));
  line(
    `put ${SMALL_OBJECTS} × 4 KiB (8 at a time)`,
    put,
    `  ${(SMALL_OBJECTS / put.seconds).toFixed(0)} objects/s`,
  );
  const get = await measure(() => inParallel(keys, 8, (key) => store.get(key)));
  line(
    `get ${SMALL_OBJECTS} × 4 KiB (8 at a time)`,
    get,
    `  ${(SMALL_OBJECTS / get.seconds).toFixed(0)} objects/s`,
  );
  for (const pageSize of [1000, 100]) {
    const list = await measure(async () => {
      let count = 0;
      for await (const _ of listAll(store, 'bench/small/', { maxKeys: pageSize })) count++;
      return count;
    });
    line(`list ${list.result} keys, pages of ${pageSize}`, list);
  }
  const file = join(scratch, 'big.bin');
  writeFileSync(file, randomBytes(BIG_SIZE));
  const bigPut = await measure(() => store.putFile('bench/big.bin', file));
  line('put 64 MiB file (multipart on S3)', bigPut, `  ${(64 / bigPut.seconds).toFixed(0)} MiB/s`);
  const bigGet = await measure(() => store.getToFile('bench/big.bin', join(scratch, 'big-copy.bin')));
  line('get 64 MiB to a file', bigGet, `  ${(64 / bigGet.seconds).toFixed(0)} MiB/s`);
}

async function commitLogFigures(store: ObjectStore): Promise<void> {
  const lease = await acquireObjectLease(store, 'bench', { settleMs: 1 });
  const live = new Map<number, string>();
  const commitAll = async (from: number, to: number) => {
    for (let commit = from; commit < to; commit++) {
      const partition = commit % PARTITIONS;
      const key = `${TABLE.table}/event_date=2025-01-${String(1 + (partition % 28)).padStart(2, '0')}/merchant_category=c${partition}/part-${commit}.parquet`;
      await store.put(key, 'x');
      const previous = live.get(partition);
      await commitTables(
        store,
        [
          {
            definition: TABLE,
            add: [
              {
                key,
                partitionValues: {
                  event_date: `2025-01-${String(1 + (partition % 28)).padStart(2, '0')}`,
                  merchant_category: `c${partition}`,
                },
                size: 1,
                numRecords: 1,
              },
            ],
            remove: previous ? [previous] : [],
          },
        ],
        { lease, operation: 'MERGE', runId: `bench-${commit}` },
      );
      live.set(partition, key);
    }
  };
  const commits = await measure(() => commitAll(0, COMMITS));
  line(
    `${COMMITS} commits (put + commit, checkpoint every 10)`,
    commits,
    `  ${(COMMITS / commits.seconds).toFixed(0)} commits/s`,
  );
  const resolveCold = async () => {
    const figures = await measure(() => readTableSnapshot(store, TABLE.table, { noCache: true }));
    const checkpoint = (await readLastCheckpoint(store, TABLE.table))?.version ?? -1;
    const version = figures.result.version;
    line(
      `resolve, cold: v${version} = checkpoint ${checkpoint} + ${version - checkpoint} entries`,
      figures,
      `  ${figures.result.files().length} live files`,
    );
  };
  await resolveCold();
  const warm = await measure(() => readTableSnapshot(store, TABLE.table));
  line('resolve, warm (process cache, no new commit)', warm);
  // Up to the next checkpoint: a cold read then replays no JSON entry.
  const next = Math.ceil((COMMITS + 1) / 10) * 10;
  await commitAll(COMMITS, next + 1);
  await resolveCold();
  const replay = await measure(async () => {
    let snapshot = TableSnapshot.empty(TABLE.table);
    const versions: number[] = [];
    for await (const object of listAll(store, deltaLogPrefix(TABLE.table))) {
      const version = versionOfLogEntry(object.key);
      if (version !== undefined) versions.push(version);
    }
    for (const version of versions.sort((a, b) => a - b)) {
      const key = logEntryKey(TABLE.table, version);
      snapshot = snapshot.apply(version, parseLogEntry((await store.get(key)).toString(), key));
    }
    return snapshot;
  });
  line(`replay all ${replay.result.version + 1} JSON entries (no checkpoint)`, replay);
  await lease.release();
}

export const benchmark: Benchmark = {
  title: 'ObjectStore: local folder vs S3 (fauxqs on loopback); table commit log',
  async run() {
    const server = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
    server.createBucket('bench-lake');
    const scratch = mkdtempSync(join(tmpdir(), 'object-store-bench-'));
    const stores: [string, ObjectStore][] = [
      ['local folder', new LocalObjectStore(join(scratch, 'lake'))],
      [
        'S3 (fauxqs, loopback, in process)',
        new S3ObjectStore({
          client: new S3Client({
            endpoint: server.address,
            region: 'us-east-1',
            forcePathStyle: true,
            credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
          }),
          bucket: 'bench-lake',
          prefix: 'lake',
          encryption: { kind: 'AES256' },
        }),
      ],
    ];
    try {
      for (const [name, store] of stores) {
        console.log(`${name}:`);
        await objectFigures(store, scratch);
        await commitLogFigures(store);
        await store.close();
      }
    } finally {
      await server.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  },
};
