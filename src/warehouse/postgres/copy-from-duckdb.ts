/**
 * Streams rows that DuckDB reads (Parquet, JSON) into PostgreSQL with `COPY … FROM STDIN (FORMAT csv)`.
 * DuckDB builds each CSV line in SQL over its own threads; JavaScript only joins a vector of ready lines per
 * chunk and writes it to the COPY stream, honouring back-pressure. Nothing is converted value by value in JS.
 */
import { once } from 'node:events';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export interface SourceColumn {
  name: string;
  /** DuckDB type as DESCRIBE prints it. */
  type: string;
}

const quoteDuck = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The columns of a DuckDB table function call such as `read_parquet([...], union_by_name = true)`. */
export async function describeSource(duck: DuckDBConnection, reader: string): Promise<SourceColumn[]> {
  const result = await duck.runAndReadAll(`describe select * from ${reader}`);
  return result
    .getRowObjects()
    .map((row) => ({ name: String(row['column_name']), type: String(row['column_type']) }));
}

/**
 * One CSV field per column: NULL is an empty unquoted field, text is quoted (so an empty string stays empty,
 * not NULL), numbers, dates, timestamps and booleans print bare in a form PostgreSQL parses.
 */
function csvField(column: SourceColumn): string {
  const name = quoteDuck(column.name);
  const type = column.type.toUpperCase();
  if (type === 'VARCHAR') return `coalesce('"' || replace(${name}, '"', '""') || '"', '')`;
  if (
    /^(DECIMAL|BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U\w*INT|FLOAT|DOUBLE|DATE|TIMESTAMP)/.test(
      type,
    )
  ) {
    return `coalesce(cast(${name} as varchar), '')`;
  }
  // Lists, structs, JSON: their text form, quoted.
  return `coalesce('"' || replace(cast(${name} as varchar), '"', '""') || '"', '')`;
}

/** The DuckDB query whose single column is the CSV line of each row. */
export function csvLinesSql(reader: string, columns: SourceColumn[], where = ''): string {
  const line = columns.map(csvField).join(` || ',' || `);
  return `select ${line} as line from ${reader}${where ? ` where ${where}` : ''}`;
}

/** Copies the rows of `reader` into `targetSql` (a quoted PostgreSQL relation); returns the row count. */
export async function copyFromDuckdb(
  client: PoolClient,
  duck: DuckDBConnection,
  reader: string,
  targetSql: string,
  columns: SourceColumn[],
): Promise<number> {
  const columnList = columns.map((column) => quoteDuck(column.name)).join(', ');
  const sink = client.query(copyFrom(`copy ${targetSql} (${columnList}) from stdin with (format csv)`));
  const finished = new Promise<void>((resolve, reject) => {
    sink.on('finish', resolve);
    sink.on('error', reject);
  });
  let rows = 0;
  const result = await duck.stream(csvLinesSql(reader, columns));
  try {
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const lines = chunk.getColumnValues(0) as string[];
      rows += lines.length;
      if (!sink.write(`${lines.join('\n')}\n`)) await Promise.race([once(sink, 'drain'), finished]);
    }
  } catch (error) {
    sink.destroy(error as Error);
    await finished.catch(() => undefined);
    throw error;
  }
  sink.end();
  await finished;
  return rows;
}
