/**
 * Writes a PostgreSQL relation as Parquet. PostgreSQL cannot write Parquet and DuckDB's postgres extension
 * cannot be installed here, so the rows leave PostgreSQL through `COPY … TO STDOUT` (CSV, NULL as \N) and
 * DuckDB types them by the relation's own column types and writes the file.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';

export interface PostgresColumnType {
  name: string;
  dataType: string;
  numericPrecision: number | null;
  numericScale: number | null;
}

/** The DuckDB type that holds a PostgreSQL column's values exactly. */
export function duckdbTypeForPostgres(column: PostgresColumnType): string {
  switch (column.dataType) {
    case 'numeric':
      return column.numericPrecision === null
        ? 'DECIMAL(38,10)'
        : `DECIMAL(${column.numericPrecision},${column.numericScale ?? 0})`;
    case 'smallint':
    case 'integer':
      return 'INTEGER';
    case 'bigint':
      return 'BIGINT';
    case 'real':
    case 'double precision':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'date':
      return 'DATE';
    case 'timestamp without time zone':
      return 'TIMESTAMP';
    case 'timestamp with time zone':
      return 'TIMESTAMPTZ';
    default:
      return 'VARCHAR';
  }
}

export async function exportPostgresParquet(
  client: PoolClient,
  duck: DuckDBConnection,
  relationSql: string,
  columns: PostgresColumnType[],
  file: string,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fintech-export-'));
  try {
    const csv = join(dir, 'rows.csv');
    await pipeline(
      client.query(copyTo(`copy (select * from ${relationSql}) to stdout with (format csv, null '\\N')`)),
      createWriteStream(csv),
    );
    const types = columns
      .map((column) => `'${column.name.replaceAll("'", "''")}': '${duckdbTypeForPostgres(column)}'`)
      .join(', ');
    await duck.run(
      `copy (select * from read_csv('${csv}', header = false, nullstr = '\\N', columns = {${types}}))
       to '${file.replaceAll("'", "''")}' (format parquet)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
