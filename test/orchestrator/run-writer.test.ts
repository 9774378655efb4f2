/**
 * A try on a worker writes the warehouse only for a run whose driver holds the home's writer lease and, under
 * that lease, the warehouse's writer lock (real PostgreSQL warehouse, SQLite state store).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinRunWriter, writerOwnerOf } from '../../pipeline/dag/run-writer.ts';
import type { IsoDate } from '../../src/core/dates.ts';
import { acquireLease, WRITER_LEASE } from '../../src/orchestrator/execution/lease.ts';
import { SqliteStateStore } from '../../src/orchestrator/state/sqlite/sqlite-state-store.ts';
import type { ProcessIdentity } from '../../src/orchestrator/state/state-store.ts';
import { PostgresWarehouse } from '../../src/warehouse/postgres/postgres-warehouse.ts';
import { WarehouseLockedError } from '../../src/warehouse/warehouse.ts';
import {
  createTestDatabase,
  postgresSkipReason,
  type TestDatabase,
} from '../helpers/postgres-test-database.ts';

const skip = await postgresSkipReason();
const DRIVER: ProcessIdentity = { pid: 101, host: 'etl-1', command: 'fintech-etl run --date 2025-03-01' };
const OTHER: ProcessIdentity = { pid: 202, host: 'etl-1', command: 'fintech-etl backfill --from 2025-03-02' };

describe.skipIf(skip)('joinRunWriter', () => {
  let database: TestDatabase;
  let warehouse: PostgresWarehouse;
  let folder: string;
  let store: SqliteStateStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    warehouse = await PostgresWarehouse.open(database.url);
    folder = mkdtempSync(join(tmpdir(), 'fintech-run-writer-'));
    store = new SqliteStateStore(join(folder, 'state.db'));
    await store.createRun({
      runId: 'run-1',
      dag: 'daily_batch_etl',
      logicalDate: '2025-03-01' as IsoDate,
      state: 'running',
      trigger: 'manual',
      conf: {},
      startedAt: new Date(),
      process: DRIVER,
    });
  });
  afterAll(async () => {
    await store?.close();
    await warehouse?.close();
    await database?.drop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('joins while the run’s driver holds the lease and the lock, and refuses otherwise, naming why', async () => {
    const refusal = async () =>
      (await joinRunWriter(store, warehouse, 'run-1', 'load').catch((e) => e)) as Error;
    const nobody = await refusal();
    expect(nobody).toBeInstanceOf(WarehouseLockedError);
    expect(nobody.message).toBe(
      `task load of run-1 (pid ${process.pid}) writes the warehouse only while process 101 on etl-1, which drives ` +
        "its run, holds the home's writer lease, and nobody holds it",
    );

    const other = await acquireLease({ store, name: WRITER_LEASE, holder: OTHER, isAlive: () => true });
    try {
      expect((await refusal()).message).toMatch(
        /, and it is held by process 202 on etl-1 \(fintech-etl backfill --from 2025-03-02\)$/,
      );
    } finally {
      await other.release();
    }

    const lease = await acquireLease({ store, name: WRITER_LEASE, holder: DRIVER, isAlive: () => true });
    try {
      // The lease alone is not enough: the warehouse's lock must be held under it.
      expect((await refusal()).message).toMatch(
        /only while the process driving its run holds the warehouse's/,
      );
      const lock = await warehouse.acquireWriterLock({
        holder: 'the driver',
        waitSeconds: 0,
        owner: writerOwnerOf(lease.record),
      });
      const joined = await joinRunWriter(store, warehouse, 'run-1', 'load');
      await joined.release();
      await lock.release();
      expect((await refusal()).message).toMatch(/and nobody holds it$/);
    } finally {
      await lease.release();
    }
  });
});
