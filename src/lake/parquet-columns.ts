/**
 * The columns of a local Parquet file as DuckDB types, and its row count from the footer: what a writer that
 * did not declare a table's schema (the gold export, which takes each mart's columns from the warehouse)
 * records in the commit log.
 */
import type { ColumnDefinition } from './commit-log/delta-log.ts';

export interface ParquetSummary {
  columns: ColumnDefinition[];
  rows: number;
}

/** The summary of each file, in order, read with one in-memory DuckDB (starting one costs more than a read). */
export async function describeParquet(paths: readonly string[]): Promise<ParquetSummary[]> {
  if (paths.length === 0) return [];
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    const summaries: ParquetSummary[] = [];
    for (const path of paths) {
      const file = `'${path.replaceAll("'", "''")}'`;
      const described = await connection.runAndReadAll(`describe select * from read_parquet(${file})`);
      const counted = await connection.runAndReadAll(
        `select coalesce(sum(num_rows), 0)::bigint as n from parquet_file_metadata(${file})`,
      );
      summaries.push({
        columns: described.getRowObjectsJson().map((row) => ({
          name: String(row['column_name']),
          type: String(row['column_type']),
        })),
        rows: Number((counted.getRowObjectsJson()[0] as { n: string | number }).n),
      });
    }
    return summaries;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
