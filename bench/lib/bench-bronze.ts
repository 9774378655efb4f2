/**
 * Bench bronze made by DuckDB itself (generate_series → JSON Lines), fast enough for millions of rows: the
 * shape of the generator's output, with ~1% exact duplicates, ~0.5% bad records and late rows spread over
 * up to `maxLateDays` days.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { IsoDate } from '../../src/core/dates.ts';
import { commitBronzePartition, createStagingDir } from '../../src/lake/bronze-partition.ts';
import type { Lake } from '../../src/lake/lake.ts';

const MCCS = ['5411', '5812', '5814', '5541', '4511', '7011', '5732', '5999', '5691', '4121', '5912', '5311'];
const PANS = [
  '4111111111111111',
  '5500005555555559',
  '4012888888881881',
  '378282246310005',
  '6011111111111117',
];

export async function writeBenchBronze(
  lake: Lake,
  date: IsoDate,
  rows: number,
  options: { lateRate?: number; maxLateDays?: number; idPrefix?: string } = {},
): Promise<void> {
  const staged = await createStagingDir(lake);
  const lateRate = options.lateRate ?? 0.02;
  const maxLateDays = options.maxLateDays ?? 2;
  const prefix = options.idPrefix ?? date.replaceAll('-', '');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const path = join(staged, 'part-00000.jsonl');
  await connection.run(`
    COPY (
      WITH base AS (
        SELECT i,
          (CASE WHEN hash(i, 'late') % 10000 < ${Math.round(lateRate * 10000)}
               THEN 1 + hash(i, 'days') % ${maxLateDays} ELSE 0 END)::INTEGER AS late_days
        FROM range(${rows}) t(i)
      ),
      records AS (
        SELECT i,
          'T${prefix}-' || lpad(CAST(CASE WHEN i % 100 = 99 THEN i - 1 ELSE i END AS VARCHAR), 9, '0') AS transaction_id,
          'C' || lpad(CAST(hash(i, 'c') % 20000 AS VARCHAR), 6, '0') AS customer_id,
          'K' || lpad(CAST(hash(i, 'k') % 30000 AS VARCHAR), 6, '0') AS card_id,
          'M' || lpad(CAST(hash(i, 'm') % 2000 AS VARCHAR), 5, '0') AS merchant_id,
          strftime(DATE '${date}' - late_days + to_seconds(CAST(hash(CASE WHEN i % 100 = 99 THEN i - 1 ELSE i END, 's') % 86400 AS BIGINT)),
                   '%Y-%m-%dT%H:%M:%S') || '+09:00' AS txn_ts,
          CASE WHEN i % 200 = 7 THEN '-1.00'
               ELSE CAST(CAST((hash(CASE WHEN i % 100 = 99 THEN i - 1 ELSE i END, 'a') % 50000000) / 100.0 + 1 AS DECIMAL(18, 2)) AS VARCHAR) END AS amount,
          CASE WHEN i % 50 = 3 THEN 'USD' ELSE 'KRW' END AS currency,
          ${sqlList(MCCS)}[1 + CAST(hash(i, 'mcc') % ${MCCS.length} AS BIGINT)] AS mcc,
          CASE WHEN i % 20 = 0 THEN 'declined' ELSE 'approved' END AS status,
          i % 40 = 1 AS is_refund,
          ['online', 'pos', 'mobile'][1 + i % 3] AS channel,
          ${sqlList(PANS)}[1 + CAST(hash(i, 'pan') % ${PANS.length} AS BIGINT)] AS card_number,
          'chip' AS entry_mode, 'KR' AS country, 'Seoul' AS city, 'Merchant ' || CAST(i % 2000 AS VARCHAR) AS merchant_name
        FROM base
      )
      SELECT * EXCLUDE (i) FROM records ORDER BY i
    ) TO '${path}' (FORMAT json)`);
  connection.closeSync();
  instance.closeSync();
  const files = [];
  for (const name of await readdir(staged)) {
    const file = join(staged, name);
    files.push({ name, rows, bytes: (await stat(file)).size, sha256: await sha256(file) });
  }
  await commitBronzePartition(lake, 'transactions', date, staged, {
    dataset: 'transactions',
    ingest_date: date,
    rows,
    files,
    source: { kind: 'ingest', files: [] },
  });
}

function sqlList(values: string[]): string {
  return `[${values.map((value) => `'${value}'`).join(', ')}]`;
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
