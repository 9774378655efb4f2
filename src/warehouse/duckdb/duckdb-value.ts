/** DuckDB values → {@link WarehouseValue}, by the column's logical type. */
import { type DuckDBType, DuckDBTypeId, type DuckDBValue } from '@duckdb/node-api';
import { normalizeInteger, normalizeTimestampText } from '../normalize-value.ts';
import type { WarehouseValue } from '../warehouse.ts';

const TIMESTAMP_TYPES = new Set<number>([
  DuckDBTypeId.TIMESTAMP,
  DuckDBTypeId.TIMESTAMP_S,
  DuckDBTypeId.TIMESTAMP_MS,
  DuckDBTypeId.TIMESTAMP_NS,
  DuckDBTypeId.TIMESTAMP_TZ,
]);

export function duckdbValue(value: DuckDBValue, type: DuckDBType): WarehouseValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return normalizeInteger(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  // DECIMAL and DATE print exactly ("123.40", "2024-01-02"); timestamps print as "2024-01-02 03:04:05.123".
  if (TIMESTAMP_TYPES.has(type.typeId)) return normalizeTimestampText(String(value));
  return String(value);
}
