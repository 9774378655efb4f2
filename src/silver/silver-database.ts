/**
 * The DuckDB session a silver run works in: in memory, but bounded by `silver.memory_limit` and spilling to
 * `silver.temp_directory`, so a day of any size runs in fixed memory. The session time zone is the business
 * zone, which is how timestamps without an offset are read and how event_date is cut.
 */
import { mkdir } from 'node:fs/promises';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { ResolvedConfig } from '../config/load-config.ts';
import { interruptOnAbort } from '../core/interrupt-on-abort.ts';
import { sqlLiteral } from './sql-template.ts';

export interface SilverDatabase {
  connection: DuckDBConnection;
  /** Another connection to the same database (tables, not temporary ones, and settings are shared). */
  connect(): Promise<DuckDBConnection>;
  close(): void;
}

/**
 * With `signal`, every statement of every connection of the database is interrupted once it aborts (a task's
 * timeout or stop), until the database is closed: the run fails at the statement it is in.
 */
export async function openSilverDatabase(
  config: ResolvedConfig,
  spillDir: string,
  signal?: AbortSignal,
): Promise<SilverDatabase> {
  // Resolved from home by load-config.ts.
  const tempDirectory = config.silver.temp_directory ?? spillDir;
  await mkdir(tempDirectory, { recursive: true });
  const options: Record<string, string> = {
    memory_limit: config.silver.memory_limit,
    temp_directory: tempDirectory,
    // No statement needs rows in insertion order except the line reader, which turns it on for itself
    // (read-lines.sql); without it DuckDB's parallel scans, joins and writes need less memory and time.
    preserve_insertion_order: 'false',
  };
  if (config.silver.threads) options['threads'] = String(config.silver.threads);
  const instance = await DuckDBInstance.create(':memory:', options);
  const connection = await instance.connect();
  await connection.run('LOAD icu');
  await connection.run(`SET TimeZone = ${sqlLiteral(config.timezone)}`);
  // A late batch can touch hundreds of partitions; keeping their writers open gives one file per partition.
  await connection.run('SET partitioned_write_max_open_files = 10000');
  const connections = [connection];
  const interrupting = signal
    ? interruptOnAbort(signal, () => {
        for (const each of connections) each.interrupt();
      })
    : undefined;
  return {
    connection,
    connect: async () => {
      const another = await instance.connect();
      connections.push(another);
      return another;
    },
    close: () => {
      interrupting?.stop();
      connection.closeSync();
      instance.closeSync();
    },
  };
}
