/**
 * A RedshiftWarehouse over a fake pool that records every statement it is sent and answers the few catalog
 * queries the warehouse asks: Redshift cannot run here, so its tests pin the exact SQL instead.
 */
import type { PgPoolLike } from '../../src/warehouse/postgres/connection-pool.ts';
import { RedshiftWarehouse } from '../../src/warehouse/redshift/redshift-warehouse.ts';

/**
 * `existing`: relations that exist, as `schema.name` → information_schema table_type. `onStatement` sees every
 * statement before it is answered (a test plays Redshift's side effects there, such as the files of an UNLOAD).
 */
export function recordingRedshift(
  existing: Record<string, 'BASE TABLE' | 'VIEW'> = {},
  onStatement?: (sql: string) => Promise<void>,
) {
  const statements: string[] = [];
  const answer = (sql: string) => {
    const table = /table_schema = '([^']+)' and table_name = '([^']+)'/.exec(sql);
    if (sql.startsWith('select table_type') && table) {
      const type = existing[`${table[1]}.${table[2]}`];
      return { rows: type ? [{ table_type: type }] : [], fields: [{ name: 'table_type' }] };
    }
    if (sql.startsWith('select column_name')) {
      return {
        rows: [
          { column_name: 'id', data_type: 'integer' },
          { column_name: 'amount', data_type: 'numeric' },
        ],
        fields: [],
      };
    }
    if (sql.includes('pg_last_copy_count')) return { rows: [{ n: 42 }], fields: [{ name: 'n' }] };
    return { rows: [], fields: [] };
  };
  const pool: PgPoolLike = {
    connect: async () => ({
      query: async (config) => {
        const sql = typeof config === 'string' ? config : config.text;
        statements.push(sql);
        await onStatement?.(sql);
        return answer(sql);
      },
      release: () => undefined,
    }),
    end: async () => undefined,
  };
  const warehouse = new RedshiftWarehouse(
    pool,
    { host: 'cluster.example', port: 5439, database: 'dw', user: 'etl' },
    // The writer lock's statements are recorded too, in the same list.
    { iamRole: 'arn:aws:iam::123456789012:role/etl', lockPool: pool },
  );
  /** The statements sent, without the catalog lookups. */
  const writes = () =>
    statements.filter((s) => !s.startsWith('select table_type') && !s.startsWith('select column_name'));
  return { warehouse, statements, writes };
}
