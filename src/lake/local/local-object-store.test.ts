import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
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

  it('moves a work file into place on consumeSource (one rename), and copies without it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'local-store-'));
    const store = new LocalObjectStore(root);
    const work = join(root, '.tmp', 'work');
    mkdirSync(work, { recursive: true });
    const moved = join(work, 'moved.parquet');
    writeFileSync(moved, 'moved bytes');
    const inode = statSync(moved).ino;
    await store.putFile('silver/t/a.parquet', moved, { consumeSource: true });
    expect(existsSync(moved)).toBe(false);
    expect(statSync(store.pathOf('silver/t/a.parquet')).ino).toBe(inode);
    const kept = join(work, 'kept.parquet');
    writeFileSync(kept, 'kept bytes');
    await store.putFile('silver/t/b.parquet', kept);
    expect(readFileSync(kept, 'utf8')).toBe('kept bytes');
    expect(readFileSync(store.pathOf('silver/t/b.parquet'), 'utf8')).toBe('kept bytes');
    expect(readdirSync(join(root, '.tmp')).filter((name) => name !== 'work')).toEqual([]);
  });
});
