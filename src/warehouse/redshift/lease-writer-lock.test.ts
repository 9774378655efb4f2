/**
 * The writer lease of a Redshift warehouse. Its SQL is plain enough to run on PostgreSQL, so its behaviour is
 * tested on a real PostgreSQL database (two homes, a lapsed holder, a holder killed on this host, joined tasks);
 * the statements Redshift is sent are pinned through the recording fake.
 */
import { hostname } from 'node:os';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  postgresSkipReason,
  type TestDatabase,
} from '../../../test/helpers/postgres-test-database.ts';
import { recordingRedshift } from '../../../test/helpers/recording-redshift.ts';
import { waitFor } from '../../../test/helpers/wait-for.ts';
import { connectPool, type PgPoolLike, parseConnectionUrl } from '../postgres/connection-pool.ts';
import { WarehouseLockedError, type WarehouseWriterLock } from '../warehouse.ts';
import { acquireLeaseWriterLock, joinLeaseWriterLock } from './lease-writer-lock.ts';

const skip = await postgresSkipReason();
const ISO = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

describe.skipIf(skip)('the writer lease of a Redshift warehouse, on PostgreSQL', () => {
  let database: TestDatabase;
  let pool: PgPoolLike;
  let where: string;

  const query = async (text: string, values: unknown[] = []) => {
    const client = await pool.connect();
    try {
      return ((await client.query({ text, values })) as { rows: Record<string, unknown>[] }).rows;
    } finally {
      client.release();
    }
  };
  /** A holder row as another process would have written it. */
  const otherHolder = (holder: string, host: string, pid: number, expiresMs: number) =>
    query(
      `insert into audit.writer_lease (name, holder, owner, token, host, pid, acquired_at, expires_ms)
       values ('warehouse', $1, 'lease z', 'their-token', $2, $3, '2025-03-01T00:00:00.000Z', $4)`,
      [holder, host, pid, expiresMs],
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    const { password, ...connection } = parseConnectionUrl(database.url, 5432);
    pool = await connectPool(connection, password, 4, 'postgres');
    where = `${connection.host}:${connection.port}/${connection.database}`;
  });
  beforeEach(async () => {
    await query('drop table if exists audit.writer_lease');
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('keeps a second home out, naming the holder, and lets it in when the first lets go', async () => {
    const first = await acquireLeaseWriterLock(pool, where, { holder: 'home A', waitSeconds: 0, owner: 'a' });
    const refused = await acquireLeaseWriterLock(pool, where, { holder: 'home B', waitSeconds: 0 }).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(WarehouseLockedError);
    expect((refused as Error).message).toMatch(
      new RegExp(
        `^another fintech-etl process is writing this warehouse \\(${where}\\): home A, since ${ISO}; use --wait SECONDS to wait for it$`,
      ),
    );
    const waiting = acquireLeaseWriterLock(pool, where, { holder: 'home B', waitSeconds: 20, pollMs: 50 });
    setTimeout(() => void first.release(), 300);
    const second = await waiting;
    expect(await query('select name, holder from audit.writer_lease')).toEqual([
      { name: 'warehouse', holder: 'home B' },
    ]);
    expect(first.lost.aborted).toBe(false);
    await second.release();
    expect(await query('select name from audit.writer_lease')).toEqual([]);
  });

  it('takes a lapsed lease from a holder on another machine, and one at once whose process here is gone', async () => {
    await acquireLeaseWriterLock(pool, where, { holder: 'nobody', waitSeconds: 0 }).then((lock) =>
      lock.release(),
    );
    // A lapse long enough that the refusal below is checked first, even on a loaded machine.
    await otherHolder('home C on etl-9', 'etl-9', 4242, Date.now() + 3000);
    await expect(acquireLeaseWriterLock(pool, where, { holder: 'home B', waitSeconds: 0 })).rejects.toThrow(
      /: home C on etl-9, since 2025-03-01T00:00:00.000Z; use --wait/,
    );
    const afterLapse = await acquireLeaseWriterLock(pool, where, {
      holder: 'home B',
      waitSeconds: 20,
      pollMs: 50,
    });
    await afterLapse.release();

    await otherHolder('home D, killed', hostname(), 4242, Date.now() + 3_600_000);
    const atOnce = await acquireLeaseWriterLock(
      pool,
      where,
      { holder: 'home B', waitSeconds: 0 },
      { isAlive: (pid) => pid !== 4242 },
    );
    expect(await query('select holder from audit.writer_lease')).toEqual([{ holder: 'home B' }]);
    await atOnce.release();
  });

  it('renews the lease while held, and tells its holder when it was lost', async () => {
    const lock = await acquireLeaseWriterLock(
      pool,
      where,
      { holder: 'home A', waitSeconds: 0 },
      { ttlMs: 600 },
    );
    const [before] = await query('select expires_ms from audit.writer_lease');
    await new Promise((resolve) => setTimeout(resolve, 900));
    let [after] = await query('select expires_ms from audit.writer_lease');
    // A renewal falls due every third of the lease; a busy machine may delay the first past the pause.
    await waitFor(
      async () => {
        [after] = await query('select expires_ms from audit.writer_lease');
        return Number(after!['expires_ms']) > Number(before!['expires_ms']);
      },
      'a renewal of the lease',
      () => '',
      5_000,
    );
    expect(Number(after!['expires_ms'])).toBeGreaterThan(Number(before!['expires_ms']));
    expect(lock.lost.aborted).toBe(false);

    // What a holder that stalled past its lease finds: another home took the lapsed lease.
    await query(`update audit.writer_lease set token = 'their-token', holder = 'home B'`);
    await waitFor(
      () => lock.lost.aborted,
      'the holder to notice its loss',
      () => '',
      10_000,
    );
    expect(lock.lost.aborted).toBe(true);
    expect((lock.lost.reason as Error).message).toBe(
      "the warehouse's writer lock was lost: its row in audit.writer_lease was taken over after it lapsed",
    );
    await lock.release();
    expect(await query('select holder from audit.writer_lease')).toEqual([{ holder: 'home B' }]);
  });

  it('lets the holder owner’s tasks join, keeps the next holder out until their writes end, then refuses them', async () => {
    const nobody = await joinLeaseWriterLock(pool, where, {
      owner: 'lease a',
      joiner: 'task load of run-0',
    }).catch((error: unknown) => error);
    expect(nobody).toBeInstanceOf(WarehouseLockedError);
    expect((nobody as Error).message).toBe(
      `task load of run-0 writes the warehouse (${where}) only while the process driving its run holds the ` +
        "warehouse's writer lock, and nobody holds it",
    );

    const first = await acquireLeaseWriterLock(pool, where, {
      holder: 'home A',
      waitSeconds: 0,
      owner: 'lease a',
    });
    const joined: WarehouseWriterLock[] = [];
    for (const task of ['load', 'models'])
      joined.push(
        await joinLeaseWriterLock(pool, where, { owner: 'lease a', joiner: `task ${task} of run-1` }),
      );
    const stranger = await joinLeaseWriterLock(pool, where, {
      owner: 'lease b',
      joiner: 'task load of run-9',
    }).catch((error: unknown) => error);
    expect(stranger).toBeInstanceOf(WarehouseLockedError);
    expect((stranger as Error).message).toMatch(new RegExp(`and home A, since ${ISO} holds it$`));

    // The holder lets go (or dies) while its tasks still write: the next holder waits for them.
    await first.release();
    const refused = await acquireLeaseWriterLock(pool, where, {
      holder: 'home B',
      waitSeconds: 0,
      owner: 'lease b',
    }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(WarehouseLockedError);
    expect((refused as Error).message).toBe(
      `another fintech-etl process is writing this warehouse (${where}): task load of run-1, task models of run-1, ` +
        'a task of a run whose driver no longer holds the warehouse; use --wait SECONDS to wait for it',
    );
    // The refused holder left no lease behind: the tasks' rows are all that is there.
    expect((await query('select name from audit.writer_lease')).map((row) => row['name'])).toEqual([
      expect.stringMatching(/^join:/),
      expect.stringMatching(/^join:/),
    ]);
    const waiting = acquireLeaseWriterLock(pool, where, {
      holder: 'home B',
      waitSeconds: 20,
      pollMs: 50,
      owner: 'lease b',
    });
    setTimeout(() => void Promise.all(joined.map((lock) => lock.release())), 300);
    const second = await waiting;
    const late = await joinLeaseWriterLock(pool, where, {
      owner: 'lease a',
      joiner: 'task gold of run-1',
    }).catch((error: unknown) => error);
    expect((late as Error).message).toMatch(/and home B, since \S+ holds it$/);
    await second.release();
  });
});

describe('the writer lease statements Redshift is sent', () => {
  it('creates its table once, then reads and writes it only under LOCK inside a transaction', async () => {
    const { warehouse, statements } = recordingRedshift();
    const lock = await warehouse.acquireWriterLock({ holder: 'home A', waitSeconds: 0, owner: 'lease a' });
    await lock.release();
    const joined = await warehouse
      .joinWriterLock({ owner: 'lease a', joiner: 'task load of run-1' })
      .catch((error: unknown) => error);
    // The fake's table is always empty: nobody holds the lock when the task joins.
    expect((joined as Error).message).toMatch(/and nobody holds it$/);
    const create = [
      'create schema if not exists audit',
      'create table if not exists audit.writer_lease (name varchar(200), holder varchar(2000), owner varchar(200), token varchar(64), host varchar(255), pid integer, acquired_at varchar(40), expires_ms bigint)',
    ];
    const read =
      'select name, holder, owner, token, host, pid, acquired_at, expires_ms from audit.writer_lease';
    expect(statements).toEqual([
      ...create,
      'begin',
      'lock audit.writer_lease',
      read,
      'delete from audit.writer_lease where name = $1 or (name like $2 and expires_ms < $3)',
      'insert into audit.writer_lease (name, holder, owner, token, host, pid, acquired_at, expires_ms) values ($1, $2, $3, $4, $5, $6, $7, $8)',
      'commit',
      'begin',
      'lock audit.writer_lease',
      read,
      'commit',
      'begin',
      'lock audit.writer_lease',
      'delete from audit.writer_lease where name = $1 and token = $2',
      'commit',
      ...create,
      'begin',
      'lock audit.writer_lease',
      read,
      'rollback',
    ]);
  });
});
