import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stateStoreContract } from '../state-store.contract.ts';
import { SqliteStateStore } from './sqlite-state-store.ts';

stateStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fintech-state-'));
  const path = join(dir, 'state.db');
  return {
    open: async () => new SqliteStateStore(path),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
