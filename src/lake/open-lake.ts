/**
 * The configured lake as a {@link Lake}: the store of `lake:` (openObjectStore), and for an S3 lake the bounded
 * local mirror (`lake.cache_dir`, `lake.cache_max_bytes`) DuckDB reads through. Work files go inside a local
 * lake (`.tmp/work/`, so publishing one is a rename) or beside the cache for an S3 lake.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/load-config.ts';
import { ConfigError } from '../core/errors.ts';
import { ObjectCache } from './cache/object-cache.ts';
import { Lake, type LeaseSource } from './lake.ts';
import { LocalObjectStore } from './local/local-object-store.ts';
import type { ObjectStore } from './object-store.ts';
import { type OpenObjectStoreOptions, openObjectStore } from './open-object-store.ts';

export interface OpenLakeOptions extends OpenObjectStoreOptions {
  /** A store opened by the caller (tests record an S3 client's requests). */
  store?: ObjectStore;
  /** Where writer leases come from; default the lake's own lease object. */
  leases?: LeaseSource;
}

export async function openLake(
  config: Pick<ResolvedConfig, 'lakeLocation' | 'lakeSettings' | 's3' | 'home'>,
  options: OpenLakeOptions = {},
): Promise<Lake> {
  const store = options.store ?? (await openObjectStore(config, options));
  const settings = config.lakeSettings;
  const local = store instanceof LocalObjectStore;
  if (local) refuseFolderLake(store.root);
  return new Lake({
    store,
    ...(local
      ? {}
      : { cache: new ObjectCache(store, { dir: settings.cacheDir, maxBytes: settings.cacheMaxBytes }) }),
    scratchRoot: local ? join(store.root, '.tmp', 'work') : join(settings.cacheDir, 'work'),
    retentionHours: settings.retentionHours,
    ...(options.leases ? { leases: options.leases } : {}),
  });
}

/**
 * A lake written before the commit log (partition folders without `_delta_log/`): its data would look absent
 * (no committed snapshot), and writes into it would mix two layouts.
 */
function refuseFolderLake(root: string): void {
  for (const zone of ['bronze/transactions', 'silver/transactions']) {
    const folder = join(root, ...zone.split('/'));
    if (!existsSync(folder) || existsSync(join(folder, '_delta_log'))) continue;
    if (!readdirSync(folder).some((name) => name.includes('='))) continue;
    throw new ConfigError(
      `config key 'lake': ${root} was written by an earlier version of fintech-etl (${zone} has partition folders ` +
        'but no _delta_log commit log); point lake at a new folder and ingest or generate the bronze again',
    );
  }
}
