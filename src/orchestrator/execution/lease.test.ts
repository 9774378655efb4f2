import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/helpers/wait-for.ts';
import {
  type ControlPlaneFixture,
  controlPlaneFixture,
} from '../../../test/orchestrator/helpers/control-plane-fixture.ts';
import type { ProcessIdentity } from '../state/state-store.ts';
import { acquireLease, LeaseHeldError, LeaseLostError, WRITER_LEASE } from './lease.ts';

let fixture: ControlPlaneFixture;
afterEach(async () => {
  await fixture?.store.close();
});

const other: ProcessIdentity = {
  pid: process.pid,
  host: hostname(),
  command: 'fintech-etl run --date 2025-03-01',
};

describe('acquireLease', () => {
  it('fails at once with one sentence naming the holder when the lease is held', async () => {
    fixture = controlPlaneFixture();
    const held = await acquireLease({ store: fixture.store, name: WRITER_LEASE, holder: other });
    const error = await acquireLease({ store: fixture.store, name: WRITER_LEASE }).catch((e) => e);
    expect(error).toBeInstanceOf(LeaseHeldError);
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(
      `another fintech-etl process holds the writer lease of this home: process ${process.pid} on ${hostname()} ` +
        `(fintech-etl run --date 2025-03-01), since ${held.record.acquiredAt.toISOString()}; use --wait SECONDS to wait for it`,
    );
    const scheduler = await acquireLease({ store: fixture.store, name: WRITER_LEASE, exitCode: 2 }).catch(
      (e) => e,
    );
    expect(scheduler.exitCode).toBe(2);
    await held.release();
  });

  it('waits up to --wait seconds: gets the lease when it is released in time, else says how long it waited', async () => {
    fixture = controlPlaneFixture();
    const held = await acquireLease({ store: fixture.store, name: WRITER_LEASE, holder: other });
    setTimeout(() => held.release(), 200);
    const waited = await acquireLease({
      store: fixture.store,
      name: WRITER_LEASE,
      waitSeconds: 5,
      pollMs: 20,
    });
    expect(waited.record.holder.pid).toBe(process.pid);

    const error = await acquireLease({
      store: fixture.store,
      name: WRITER_LEASE,
      waitSeconds: 0.3,
      pollMs: 50,
    }).catch((e) => e);
    expect(error.message).toMatch(/holds the writer lease of this home: .*; waited 0\.[3-9] s$/);
    await waited.release();
  });

  it('takes over at once the lease of a holder on this machine whose process is gone', async () => {
    fixture = controlPlaneFixture();
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    await acquireLease({ store: fixture.store, name: WRITER_LEASE, holder: { ...other, pid: dead } });
    const events: unknown[] = [];
    const lease = await acquireLease({
      store: fixture.store,
      name: WRITER_LEASE,
      events: { emit: (event) => events.push(event) },
    });
    expect(lease.record.holder.pid).toBe(process.pid);
    expect(events).toEqual([
      {
        kind: 'notice',
        message: `took over the writer lease from process ${dead} on ${hostname()}, which is no longer running`,
      },
    ]);
    await lease.release();
  });

  it('waits for the lease of another machine to expire, then takes it', async () => {
    fixture = controlPlaneFixture();
    await acquireLease({
      store: fixture.store,
      name: WRITER_LEASE,
      holder: { pid: 1, host: 'gone-machine', command: 'fintech-etl scheduler' },
      ttlMs: 300,
      renewEveryMs: 60_000,
    });
    await expect(acquireLease({ store: fixture.store, name: WRITER_LEASE })).rejects.toThrow(
      /process 1 on gone-machine/,
    );
    const lease = await acquireLease({
      store: fixture.store,
      name: WRITER_LEASE,
      waitSeconds: 3,
      pollMs: 50,
    });
    expect(lease.record.holder.host).toBe(hostname());
    await lease.release();
  });

  it('keeps a live lease renewed past its ttl, and signals `lost` when another process took it', async () => {
    fixture = controlPlaneFixture();
    const held = await acquireLease({
      store: fixture.store,
      name: WRITER_LEASE,
      holder: { ...other, host: 'far' },
      ttlMs: 600,
    });
    await new Promise((resolve) => setTimeout(resolve, 1400));
    await expect(acquireLease({ store: fixture.store, name: WRITER_LEASE })).rejects.toThrow(LeaseHeldError);
    expect(held.lost.aborted).toBe(false);

    await fixture.store.acquireLease({
      name: WRITER_LEASE,
      token: 'intruder',
      holder: other,
      now: new Date(),
      ttlMs: 60_000,
      replaceToken: held.record.token,
    });
    await waitFor(
      () => held.lost.aborted,
      'the holder to notice the take-over',
      () => '',
      5_000,
    );
    expect(held.lost.aborted).toBe(true);
    expect(held.lost.reason).toBeInstanceOf(LeaseLostError);
    expect(held.lost.reason.message).toBe('the writer lease was taken over by another process');
  });
});
