/**
 * The version index: `silver/_index/transactions/ingest_date=D.parquet` holds, for each transaction_id in
 * bronze partition D, its newest version there (position, record_hash, event_date, merchant_category). The
 * version silver holds for an id is the newest over all files. A run reads only the index (a few narrow columns,
 * joined to its own ids), never silver itself, to find where the current version of each id lives; and each
 * file depends only on its bronze partition, so processing order cannot change it.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LakeLayout } from '../lake/lake-layout.ts';
import { sqlLiteral } from './sql-template.ts';

export function silverIndexDir(lake: LakeLayout): string {
  return join(lake.root, 'silver', '_index', 'transactions');
}

/** A SQL relation over every index file, or an empty one with the same columns on a fresh lake. */
export async function silverIndexSource(lake: LakeLayout): Promise<{ kind: 'sql'; text: string }> {
  const dir = silverIndexDir(lake);
  const files = existsSync(dir)
    ? (await readdir(dir)).filter((name) => name.endsWith('.parquet')).map((name) => join(dir, name))
    : [];
  if (files.length === 0) {
    return {
      kind: 'sql',
      text:
        '(SELECT transaction_id, event_date, merchant_category, record_hash, ingest_date, ' +
        'source_file_of(file_no) AS source_file, source_line FROM batch_rows WHERE FALSE)',
    };
  }
  return { kind: 'sql', text: `read_parquet(${sqlLiteral(files.sort())})` };
}
