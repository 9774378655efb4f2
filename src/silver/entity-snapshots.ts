/**
 * Entity snapshots (customers, cards, merchants) of one ingest date → one Parquet work file per dataset, which
 * the silver run commits as `silver/<entity>/snapshot_date=D/data-<run>.parquet` (replacing a previous one of D),
 * in the same commit as the transactions. They feed the type-2 dimensions, so a snapshot is replaced whole.
 * Lines that are not JSON objects or carry no id cannot become a dimension row; they are counted as rejected.
 */
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { IsoDate } from '../core/dates.ts';
import type { Lake } from '../lake/lake.ts';
import { ENTITY_DATASETS, type EntityDataset } from '../lake/lake-layout.ts';
import { assertNoRecordsLost, listBronzeFiles } from './bronze-files.ts';
import { withBronzeLines } from './bronze-line-reader.ts';
import { renderSql, type SqlParam } from './sql-template.ts';

export interface EntitySnapshotResult {
  dataset: EntityDataset;
  snapshotDate: IsoDate;
  rows: number;
  /** Lines that were not JSON objects, lacked the id, or repeated an id already in the snapshot. */
  rejected: number;
}

export interface EntitySnapshotInput {
  db: DuckDBConnection;
  lake: Lake;
  ingestDate: IsoDate;
  /** The run's work folder: each snapshot is written there as `<dataset>.parquet`. */
  workDir: string;
}

/** A snapshot written to the work folder, to be committed. */
export interface StagedSnapshot extends EntitySnapshotResult {
  path: string;
}

export async function stageEntitySnapshots(input: EntitySnapshotInput): Promise<StagedSnapshot[]> {
  const results: StagedSnapshot[] = [];
  for (const dataset of ENTITY_DATASETS) {
    const bronze = await listBronzeFiles(input.lake, dataset, input.ingestDate);
    if (!bronze) continue;
    await input.db.run('CREATE OR REPLACE TEMP TABLE entity_all_lines (raw VARCHAR, undecodable BOOLEAN)');
    for (const file of bronze.files) {
      await withBronzeLines(input.db, file, async (lines) => {
        const reader = await input.db.runAndReadAll(
          `INSERT INTO entity_all_lines SELECT raw, undecodable FROM (${lines}) WHERE trim(raw) <> ''`,
        );
        assertNoRecordsLost(file, reader.rowsChanged);
      });
    }
    // An object that names a field twice is ambiguous (parsers keep either value): rejected, never resolved.
    await input.db.run(
      `CREATE OR REPLACE TEMP TABLE entity_lines AS SELECT raw FROM entity_all_lines
       WHERE NOT undecodable AND json_valid(raw) AND json_type(raw) = 'OBJECT'
         AND len(json_keys(raw)) = len(list_distinct(json_keys(raw)))`,
    );
    const [{ lines }] = (
      await input.db.runAndReadAll('SELECT count(*) AS lines FROM entity_all_lines')
    ).getRowObjectsJS() as [{ lines: bigint }];
    const staged = join(input.workDir, `${dataset}.parquet`);
    const params: Record<string, SqlParam> = { snapshot_date: input.ingestDate, target: staged };
    await input.db.run(renderSql(`snapshot-${dataset}`, params));
    const [{ written }] = (
      await input.db.runAndReadAll(
        `SELECT count(*) AS written FROM read_parquet('${staged.replaceAll("'", "''")}')`,
      )
    ).getRowObjectsJS() as [{ written: bigint }];
    results.push({
      dataset,
      snapshotDate: input.ingestDate,
      rows: Number(written),
      rejected: Number(lines) - Number(written),
      path: staged,
    });
  }
  await input.db.run('DROP TABLE IF EXISTS entity_all_lines; DROP TABLE IF EXISTS entity_lines');
  return results;
}
