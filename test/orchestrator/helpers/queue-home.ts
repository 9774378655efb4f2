/**
 * A home whose daily DAG runs on queue workers, as the scale-out tests need it: PostgreSQL state and warehouse (a
 * database of their own each), an S3 lake on the shared fauxqs server (a prefix of its own), the queue executor on
 * the Redis given, and beside it an in-process reference home (local executor, PostgreSQL warehouse) holding the
 * same generated bronze, to compare with. Worker homes (`home()`) share the config; `close()` removes it all.
 */
import { loadConfig } from '../../../src/config/load-config.ts';
import type { IsoDate } from '../../../src/core/dates.ts';
import { generateBronze } from '../../../src/generate/generate-bronze.ts';
import type { GeneratorSettings } from '../../../src/generate/generator-settings.ts';
import type { Lake } from '../../../src/lake/lake.ts';
import { openLake } from '../../../src/lake/open-lake.ts';
import { S3ObjectStore } from '../../../src/lake/s3/s3-object-store.ts';
import { PostgresStateStore } from '../../../src/orchestrator/state/postgres/postgres-state-store.ts';
import { PostgresWarehouse } from '../../../src/warehouse/postgres/postgres-warehouse.ts';
import { createPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres-test-database.ts';
import { s3LakeYaml, sharedS3Server, stopSharedS3Server } from '../../helpers/test-lake.ts';
import { type CliHome, createCliHome } from './cli-home.ts';

export interface QueueHome {
  /** The home that drives runs (`run`, `backfill`). */
  driver: CliHome;
  lake: Lake;
  state: PostgresStateStore;
  warehouse: PostgresWarehouse;
  reference: PipelineHarness;
  /** Another home with the same config: a worker's. */
  home(): CliHome;
  close(): Promise<void>;
}

export interface QueueHomeOptions {
  /** The lake's prefix in the bucket (made unique per test process). */
  name: string;
  redisUrl: string;
  queue: string;
  /** Config lines after the warehouse, state, lake and executor (silver, orchestrator, …). */
  yaml: string[];
  days: { from: IsoDate; to: IsoDate };
  settings: GeneratorSettings;
}

export async function openQueueHome(options: QueueHomeOptions): Promise<QueueHome> {
  const databases: TestDatabase[] = [];
  const homes: CliHome[] = [];
  const database = async () => {
    const created = await createTestDatabase();
    databases.push(created);
    return created.url;
  };
  const server = await sharedS3Server();
  const prefix = `${options.name}-${process.pid}`;
  const [warehouseUrl, stateUrl, referenceUrl] = [await database(), await database(), await database()];
  const yaml = [
    `warehouse: ${warehouseUrl}`,
    `state: ${stateUrl}`,
    s3LakeYaml(server, prefix),
    `executor: {kind: queue, redis: "${options.redisUrl}", queue: ${options.queue}}`,
    ...options.yaml,
  ].join('\n');
  const home = () => {
    const created = createCliHome({ yaml });
    homes.push(created);
    return created;
  };
  const driver = home();
  const lake = await openLake(loadConfig({ home: driver.home, cwd: driver.home, env: {} }), {
    store: new S3ObjectStore({
      client: server.client(),
      bucket: server.bucket,
      prefix,
      encryption: { kind: 'AES256' },
    }),
  });
  const state = await PostgresStateStore.open(stateUrl);
  const warehouse = await PostgresWarehouse.open(warehouseUrl);
  const reference = await createPipelineHarness({ warehouseUrl: referenceUrl });
  for (const target of [lake, reference.lake]) {
    await generateBronze({ lake: target, settings: options.settings, ...options.days });
  }
  return {
    driver,
    lake,
    state,
    warehouse,
    reference,
    home,
    close: async () => {
      await reference.close();
      await lake.close();
      await warehouse.close();
      await state.close();
      for (const each of homes) each.remove();
      for (const each of databases) await each.drop();
      await stopSharedS3Server();
    },
  };
}
