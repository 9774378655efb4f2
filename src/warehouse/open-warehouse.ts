/**
 * The one factory that turns the configured `warehouse:` URL into a connected {@link Warehouse}. The password
 * comes from the `warehouse_password` secret reference, else `PGPASSWORD`, never from a log line.
 */
import type { ResolvedConfig } from '../config/load-config.ts';
import { resolveSecret, type SecretContext } from '../config/secrets.ts';
import { type EventSink, NO_EVENTS } from '../core/pipeline-event.ts';
import { registerSecret } from '../core/redact.ts';
import type { Warehouse } from './warehouse.ts';

export interface OpenWarehouseOptions {
  env?: NodeJS.ProcessEnv;
  fetchAwsSecret?: SecretContext['fetchAwsSecret'];
  /** Where the warehouse reports its statements and load phases (default: nowhere). */
  events?: EventSink;
  /**
   * For `query`: a session that reads the warehouse and nothing else (DuckDB: the file opened read-only,
   * external access off but for `readableFolders`, the local files of silver its staging views read;
   * PostgreSQL guards `queryReadOnly` itself).
   */
  forQuery?: { readableFolders: readonly string[] };
}

export async function openWarehouse(
  config: Pick<ResolvedConfig, 'warehouseTarget' | 'warehouse_password' | 'home' | 'models'>,
  options: OpenWarehouseOptions = {},
): Promise<Warehouse> {
  const target = config.warehouseTarget;
  const events = options.events ?? NO_EVENTS;
  // Engines are imported when chosen: a DuckDB run never loads pg, and every CLI start stays short.
  if (target.kind === 'duckdb') {
    const { DuckDBWarehouse } = await import('./duckdb/duckdb-warehouse.ts');
    if (options.forQuery) {
      return DuckDBWarehouse.openForQuery(
        target.path,
        target.settings,
        options.forQuery.readableFolders,
        events,
      );
    }
    return DuckDBWarehouse.open(target.path, target.settings, events);
  }
  const env = options.env ?? process.env;
  const password = config.warehouse_password
    ? await resolveSecret(config.warehouse_password, {
        home: config.home,
        env,
        fetchAwsSecret: options.fetchAwsSecret,
      })
    : env['PGPASSWORD'];
  if (password) registerSecret(password);
  const open = { password, maxConnections: config.models.concurrency + 1, events };
  switch (target.kind) {
    case 'postgres': {
      const { PostgresWarehouse } = await import('./postgres/postgres-warehouse.ts');
      return PostgresWarehouse.open(target.url, open);
    }
    case 'redshift': {
      const { RedshiftWarehouse } = await import('./redshift/redshift-warehouse.ts');
      return RedshiftWarehouse.open(target.url, open);
    }
  }
}
