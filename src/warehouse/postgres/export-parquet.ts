/**
 * Writes a PostgreSQL relation as Parquet. PostgreSQL cannot write Parquet and DuckDB's postgres extension
 * cannot be installed here, so the rows leave PostgreSQL through `COPY … TO STDOUT` (CSV, NULL as \N) and
 * DuckDB types them by the relation's own column types and writes the file.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Relation, Warehouse } from '../warehouse.ts';
import { toQueryResult } from './connection-pool.ts';
import { openDuckdbReader } from './copy-from-duckdb.ts';

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

/** Writes every row of `relation` to the Parquet file `file`, through `client`. */
export async function exportPostgresParquet(
  client: PoolClient,
  quoting: Pick<Warehouse, 'quoteLiteral' | 'quoteRelation'>,
  relation: Relation,
  file: string,
): Promise<void> {
  const { rows } = toQueryResult(
    await client.query(
      `select column_name, data_type, numeric_precision, numeric_scale from information_schema.columns
       where table_schema = ${quoting.quoteLiteral(relation.schema)} and table_name = ${quoting.quoteLiteral(relation.name)}
       order by ordinal_position`,
    ),
  );
  const columns: PostgresColumnType[] = rows.map((row) => ({
    name: String(row['column_name']),
    dataType: String(row['data_type']),
    numericPrecision: row['numeric_precision'] === null ? null : Number(row['numeric_precision']),
    numericScale: row['numeric_scale'] === null ? null : Number(row['numeric_scale']),
  }));
  const dir = mkdtempSync(join(tmpdir(), 'fintech-export-'));
  const duck = await openDuckdbReader();
  try {
    const csv = join(dir, 'rows.csv');
    await pipeline(
      client.query(
        copyTo(
          `copy (select * from ${quoting.quoteRelation(relation)}) to stdout with (format csv, null '\\N')`,
        ),
      ),
      createWriteStream(csv),
    );
    const types = columns
      .map((column) => `'${column.name.replaceAll("'", "''")}': '${duckdbTypeForPostgres(column)}'`)
      .join(', ');
    await duck.connection.run(
      `copy (select * from read_csv('${csv}', header = false, nullstr = '\\N', columns = {${types}}))
       to '${file.replaceAll("'", "''")}' (format parquet)`,
    );
  } finally {
    duck.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
