/**
 * The reference every silver and pipeline figure is compared with: DuckDB's bare statement "read this bronze →
 * deduplicate → write partitioned Parquet" on the same files, with the same memory limit; malformed lines are
 * skipped (generated bronze holds some on purpose). Partitions are event date × first MCC digit: about as many
 * as silver's event date × merchant category (raw MCCs would open thousands of writers). Returns the wall seconds
 * and the CPU seconds of this process over the statement (DuckDB's threads included): on a shared, noisy machine
 * the CPU figure is the steadier one to compare.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { measure } from '../../src/core/stopwatch.ts';

export interface BareStatementFigures {
  seconds: number;
  cpuSeconds: number;
}

export async function measureBareStatement(
  bronzePartitionDir: string,
  memoryLimit = '1GB',
): Promise<BareStatementFigures> {
  const out = mkdtempSync(join(tmpdir(), 'bench-bare-'));
  // Spilling allowed and insertion order free, as silver runs: the fastest the bare statement can be.
  const instance = await DuckDBInstance.create(':memory:', {
    memory_limit: memoryLimit,
    temp_directory: join(out, 'spill'),
    preserve_insertion_order: 'false',
  });
  const connection = await instance.connect();
  try {
    const { seconds, cpuSeconds } = await measure(() =>
      connection.run(`
      COPY (
        SELECT *, CAST(TRY_CAST(txn_ts AS TIMESTAMPTZ) AS DATE) AS event_date, left(mcc, 1) AS mcc_group
        FROM read_json('${bronzePartitionDir}/*.jsonl', format = 'newline_delimited', ignore_errors = true)
        QUALIFY row_number() OVER (PARTITION BY transaction_id) = 1
      ) TO '${out}/silver' (FORMAT parquet, PARTITION_BY (event_date, mcc_group), OVERWRITE true)`),
    );
    return { seconds, cpuSeconds };
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(out, { recursive: true, force: true });
  }
}
