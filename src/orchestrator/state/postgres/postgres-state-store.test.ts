import { createTestDatabase, postgresSkipReason } from '../../../../test/helpers/postgres-test-database.ts';
import { stateStoreContract } from '../state-store.contract.ts';
import { PostgresStateStore } from './postgres-state-store.ts';

stateStoreContract('postgres', async () => {
  if (await postgresSkipReason()) return undefined;
  const database = await createTestDatabase();
  return { open: () => PostgresStateStore.open(database.url), cleanup: database.drop };
});
