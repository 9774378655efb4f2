import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Lake } from './lake.ts';
import { LocalObjectStore } from './local/local-object-store.ts';

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

function localLake(): Lake {
  root = mkdtempSync(join(tmpdir(), 'lake-lease-'));
  return new Lake({
    store: new LocalObjectStore(root),
    scratchRoot: join(root, '.tmp', 'work'),
    retentionHours: 168,
  });
}

describe('the lake writer lease within one process', () => {
  it('lets concurrent writers take turns, each holding a lease of its own', async () => {
    const lake = localLake();
    const events: string[] = [];
    const owners: string[] = [];
    const writer = (name: string) =>
      lake.withWriterLease(async (lease) => {
        events.push(`${name} start`);
        owners.push(lease.owner);
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(lake.lease).toBe(lease);
        events.push(`${name} end`);
      });
    await Promise.all([writer('a'), writer('b'), writer('c')]);
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
    expect(new Set(owners).size).toBe(3);
  });

  it('lets a writer nest: an inner call reuses the lease its caller holds', async () => {
    const lake = localLake();
    const seen = await lake.withWriterLease(async (outer) =>
      lake.withWriterLease(async (inner) => [outer.owner, inner.owner]),
    );
    expect(seen[0]).toBe(seen[1]);
    expect(() => lake.lease).toThrow('lake writes need the writer lease');
  });

  it('frees the turn when a writer fails', async () => {
    const lake = localLake();
    const failing = lake.withWriterLease(async () => {
      throw new Error('upload refused');
    });
    await expect(failing).rejects.toThrow('upload refused');
    expect(await lake.withWriterLease(async () => 'next')).toBe('next');
  });

  it('stops waiting for its turn when its signal aborts, and the writers after it still take theirs', async () => {
    const lake = localLake();
    const events: string[] = [];
    let release!: () => void;
    let started!: () => void;
    const firstStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const first = lake.withWriterLease(async () => {
      events.push('first start');
      started();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      events.push('first end');
    });
    await firstStarted;
    const controller = new AbortController();
    const waiting = lake.withWriterLease(
      async () => {
        events.push('timed out writer ran');
      },
      { signal: controller.signal },
    );
    const third = lake.withWriterLease(async () => {
      events.push('third');
    });
    controller.abort(new Error('task silver timed out after 1 s'));
    await expect(waiting).rejects.toThrow('task silver timed out after 1 s');
    release();
    await Promise.all([first, third]);
    expect(events).toEqual(['first start', 'first end', 'third']);
  });

  it('stops waiting for a lease another process holds when its signal aborts', async () => {
    const lake = localLake();
    const other = new Lake({
      store: new LocalObjectStore(root!),
      scratchRoot: join(root!, '.tmp', 'other'),
      retentionHours: 168,
    });
    let release!: () => void;
    let holds!: () => void;
    const otherHolds = new Promise<void>((resolve) => {
      holds = resolve;
    });
    const holding = other.withWriterLease(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
          holds();
        }),
    );
    await otherHolds;
    const controller = new AbortController();
    const started = Date.now();
    const waiting = lake.withWriterLease(async () => 'committed', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('task silver was stopped')), 200);
    await expect(waiting).rejects.toThrow('task silver was stopped');
    // The lease waits a minute for a busy writer; the signal ends that wait at once.
    expect(Date.now() - started).toBeLessThan(10_000);
    release();
    await holding;
    expect(await lake.withWriterLease(async () => 'next')).toBe('next');
  });
});
