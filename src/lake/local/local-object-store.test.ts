import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { objectStoreContract } from '../object-store.contract.ts';
import { LocalObjectStore } from './local-object-store.ts';

objectStoreContract('local folder', async () => {
  const root = mkdtempSync(join(tmpdir(), 'local-store-'));
  return {
    open: async () => new LocalObjectStore(root),
    cleanup: async () => rmSync(root, { recursive: true, force: true }),
  };
});

describe('LocalObjectStore', () => {
  it('keeps objects as plain files under the root and leaves no temp file behind', async () => {
    const root = mkdtempSync(join(tmpdir(), 'local-store-'));
    const store = new LocalObjectStore(root);
    await store.put('silver/transactions/event_date=2025-03-01/part-run1-0.parquet', 'x');
    expect(
      existsSync(join(root, 'silver', 'transactions', 'event_date=2025-03-01', 'part-run1-0.parquet')),
    ).toBe(true);
    expect(readdirSync(join(root, '.tmp'))).toEqual([]);
    await store.delete('silver/transactions/event_date=2025-03-01/part-run1-0.parquet');
    // Empty folders go with their last object, so the lake stays browsable.
    expect(existsSync(join(root, 'silver'))).toBe(false);
    expect((await store.list('')).objects).toEqual([]);
  });
});
