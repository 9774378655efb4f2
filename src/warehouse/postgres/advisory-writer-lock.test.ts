/**
 * The writer lock joined by a run's tasks on other processes (queue workers), on a real PostgreSQL database: a
 * task joins only the lock held under its owner tag; a writer that takes the lock after the holder let go waits
 * for the joined writes still in flight, naming them; the holder's tasks cannot join once another holds it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  postgresSkipReason,
  type TestDatabase,
} from '../../../test/helpers/postgres-test-database.ts';
import { WarehouseLockedError, type WarehouseWriterLock } from '../warehouse.ts';
import { PostgresWarehouse } from './postgres-warehouse.ts';

const skip = await postgresSkipReason();

describe.skipIf(skip)('joining the writer lock of a PostgreSQL warehouse', () => {
  let database: TestDatabase;
  let warehouse: PostgresWarehouse;

  beforeAll(async () => {
    database = await createTestDatabase();
    warehouse = await PostgresWarehouse.open(database.url);
  });
  afterAll(async () => {
    await warehouse?.close();
    await database?.drop();
  });

  it('lets the holder owner’s tasks join, keeps the next holder out until their writes end, then refuses them', async () => {
    const name = database.url.split('/').at(-1);
    const nobody = await warehouse
      .joinWriterLock({ owner: 'lease a', joiner: 'task load of run-0' })
      .catch((e) => e);
    expect(nobody).toBeInstanceOf(WarehouseLockedError);
    expect(nobody.message).toBe(
      `task load of run-0 writes the warehouse (127.0.0.1:5432/${name}) only while the process driving its run ` +
        "holds the warehouse's writer lock, and nobody holds it",
    );

    const first = await warehouse.acquireWriterLock({ holder: 'home A', waitSeconds: 0, owner: 'lease a' });
    const joined: WarehouseWriterLock[] = [];
    for (const task of ['load', 'models']) {
      joined.push(await warehouse.joinWriterLock({ owner: 'lease a', joiner: `task ${task} of run-1` }));
    }
    const stranger = await warehouse
      .joinWriterLock({ owner: 'lease b', joiner: 'task load of run-9' })
      .catch((e) => e);
    expect(stranger).toBeInstanceOf(WarehouseLockedError);
    expect(stranger.message).toMatch(/and home A, since \S+ holds it$/);

    // The holder lets go (or dies) while its tasks still write: the next holder waits for them.
    await first.release();
    const refused = await warehouse
      .acquireWriterLock({ holder: 'home B', waitSeconds: 0, owner: 'lease b' })
      .catch((e) => e);
    expect(refused).toBeInstanceOf(WarehouseLockedError);
    expect(refused.message).toBe(
      `another fintech-etl process is writing this warehouse (127.0.0.1:5432/${name}): ` +
        'fintech-etl task load of run-1, fintech-etl task models of run-1, a task of a run whose driver no ' +
        'longer holds the warehouse; use --wait SECONDS to wait for it',
    );
    // Refused whole: the lock itself is free again for whoever comes next.
    const waiting = warehouse.acquireWriterLock({
      holder: 'home B',
      waitSeconds: 30,
      owner: 'lease b',
      pollMs: 50,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const lock of joined) await lock.release();
    const second = await waiting;
    try {
      const late = await warehouse
        .joinWriterLock({ owner: 'lease a', joiner: 'task tests of run-1' })
        .catch((e) => e);
      expect(late).toBeInstanceOf(WarehouseLockedError);
      expect(late.message).toMatch(/and home B, since \S+ holds it$/);
      const own = await warehouse.joinWriterLock({ owner: 'lease b', joiner: 'task load of run-2' });
      await own.release();
    } finally {
      await second.release();
    }
  });
});
