/**
 * How PostgreSQL values are parsed from their text form into {@link WarehouseValue}s: numeric stays an exact
 * string with its scale, dates and timestamps stay text (ISO-normalised), int8 becomes a number while exact.
 * Sessions run with `TimeZone = UTC`, so timestamptz text is always `+00`.
 */
import { normalizeInteger, normalizeTimestampText } from '../normalize-value.ts';
import type { WarehouseValue } from '../warehouse.ts';

const OID = {
  bool: 16,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  float4: 700,
  float8: 701,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
} as const;

const identity = (text: string): WarehouseValue => text;

function parserFor(oid: number): (text: string) => WarehouseValue {
  switch (oid) {
    case OID.bool:
      return (text) => text === 't' || text === 'true';
    case OID.int8:
      return (text) => normalizeInteger(BigInt(text));
    case OID.int2:
    case OID.int4:
    case OID.oid:
    case OID.float4:
    case OID.float8:
      return Number;
    case OID.timestamp:
    case OID.timestamptz:
      return normalizeTimestampText;
    default:
      // numeric, date, text and everything else: the server's exact text.
      return identity;
  }
}

/** The `types` option of a pg Pool/Client. */
export const postgresTypes = {
  getTypeParser: (oid: number) => parserFor(oid),
} as unknown as import('pg').CustomTypesConfig;

/** DuckDB column type (from DESCRIBE) → PostgreSQL column type, for tables filled from Parquet. */
export function postgresTypeForDuckdb(duckdbType: string): string {
  const type = duckdbType.toUpperCase();
  if (type.startsWith('DECIMAL')) return type.replace('DECIMAL', 'numeric');
  switch (type) {
    case 'BOOLEAN':
      return 'boolean';
    case 'TINYINT':
    case 'SMALLINT':
      return 'smallint';
    case 'INTEGER':
      return 'integer';
    case 'BIGINT':
    case 'UINTEGER':
      return 'bigint';
    case 'HUGEINT':
    case 'UBIGINT':
      return 'numeric(38,0)';
    case 'FLOAT':
      return 'real';
    case 'DOUBLE':
      return 'double precision';
    case 'DATE':
      return 'date';
    case 'TIMESTAMP':
    case 'TIMESTAMP_NS':
    case 'TIMESTAMP_MS':
    case 'TIMESTAMP_S':
      return 'timestamp';
    case 'TIMESTAMP WITH TIME ZONE':
      return 'timestamptz';
    default:
      return 'text';
  }
}
