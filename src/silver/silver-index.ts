/**
 * The version index: table `silver/_index/transactions`, one file per ingest date D holding, for each
 * transaction_id in bronze partition D, its newest version there (position, record_hash, event_date,
 * merchant_category). The version silver holds for an id is the newest over all files. A run reads only the
 * index (a few narrow columns, joined to its own ids), never silver itself, to find where the current version of
 * each id lives; and each file depends only on its bronze partition, so processing order cannot change it.
 */
import type { TableSnapshot } from '../lake/commit-log/table-snapshot.ts';
import type { Lake } from '../lake/lake.ts';
import { sqlLiteral } from './sql-template.ts';

/** A SQL relation over every committed index file, or an empty one with the same columns on a fresh lake. */
export async function silverIndexSource(
  lake: Lake,
  snapshot: TableSnapshot,
): Promise<{ kind: 'sql'; text: string }> {
  const files = snapshot.files();
  if (files.length === 0) {
    return {
      kind: 'sql',
      text:
        '(SELECT transaction_id, event_date, merchant_category, record_hash, ingest_date, ' +
        'source_file_of(file_no) AS source_file, source_line FROM batch_rows WHERE FALSE)',
    };
  }
  return { kind: 'sql', text: `read_parquet(${sqlLiteral(await lake.localPaths(files))})` };
}
