/**
 * The reference every silver and pipeline figure is compared with: DuckDB's bare statement "read this bronze →
 * deduplicate → write partitioned Parquet" on the same files, with the same memory limit; malformed lines are
 * skipped (generated bronze holds some on purpose). Returns seconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export async function bareStatementSeconds(bronzePartitionDir: string, memoryLimit = '1GB'): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), 'bench-bare-'));
  const instance = await DuckDBInstance.create(':memory:', { memory_limit: memoryLimit });
  const connection = await instance.connect();
  try {
    const started = performance.now();
    await connection.run(`
      COPY (
        SELECT *, CAST(TRY_CAST(txn_ts AS TIMESTAMPTZ) AS DATE) AS event_date
        FROM read_json('${bronzePartitionDir}/*.jsonl', format = 'newline_delimited', ignore_errors = true)
        QUALIFY row_number() OVER (PARTITION BY transaction_id) = 1
      ) TO '${out}/silver' (FORMAT parquet, PARTITION_BY (event_date, mcc), OVERWRITE true)`);
    return (performance.now() - started) / 1000;
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(out, { recursive: true, force: true });
  }
}
