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
});
