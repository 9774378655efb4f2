/**
 * The `load` task: makes the silver partitions a run touched, the day's entity snapshots (load-silver.ts), the
 * ledger and the quarantine reachable in the warehouse.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { IsoDate } from '../core/dates.ts';
import type { LakeLayout } from '../lake/lake-layout.ts';
import { SILVER_DATASETS } from '../silver/silver-contract.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import { exposeSilverBatch, hasParquet, loadSilverDataset } from './load-silver.ts';

export interface LoadWarehouseInput {
  warehouse: Warehouse;
  lake: LakeLayout;
  logicalDate: IsoDate;
  /** Event dates whose silver partitions the run rewrote. */
  touchedEventDates: IsoDate[];
  /** The transaction files the run's silver commit wrote, relative to the lake root (SilverResult). */
  writtenFiles: string[];
}

export interface LoadWarehouseResult {
  /** Rows written per table (0 where the engine reads the files in place). */
  rows: Record<string, number>;
}

export async function loadWarehouse(input: LoadWarehouseInput): Promise<LoadWarehouseResult> {
  const { warehouse, lake } = input;
  const rows: Record<string, number> = {};
  await warehouse.ensureSchema('staging');
  await warehouse.ensureSchema('audit');

  for (const dataset of SILVER_DATASETS) {
    const change =
      dataset.name === 'transactions'
        ? { partitions: input.touchedEventDates, ingestDate: input.logicalDate }
        : // An entity's snapshot of the logical date, when the run wrote one.
          {
            partitions: existsSync(lake.silverEntity(dataset.name, input.logicalDate))
              ? [input.logicalDate]
              : [],
          };
    rows[`silver_${dataset.name}`] = await loadSilverDataset(warehouse, lake, dataset, change);
    if (dataset.name === 'transactions') {
      await exposeSilverBatch(warehouse, lake, { ingestDate: input.logicalDate, files: input.writtenFiles });
    }
  }

  const ledgerFiles = join(lake.ledger(), 'transactions', '*', '*.json');
  rows['ledger'] = (
    await warehouse.loadFiles({ files: [ledgerFiles], format: 'json', target: AUDIT_LEDGER })
  ).rows;
  if (existsSync(join(lake.root, 'quarantine', 'transactions'))) {
    rows['quarantine'] = await loadQuarantine(warehouse, lake, input.logicalDate);
  }
  return { rows };
}

export const AUDIT_LEDGER = { schema: 'audit', name: 'ledger' };
export const AUDIT_QUARANTINE = { schema: 'audit', name: 'quarantine' };

/**
 * `audit.quarantine` holds one file per ingest date, rewritten when that date runs again: the first load reads
 * every file, later ones replace the run's ingest date only (staged beside the table, then swapped in one
 * transaction, so readers never see the date half loaded). The ledger stays a full reload: its JSON nests
 * per-run maps (late_by_days) whose fields only the union of every file types completely, and it is one small
 * file per run.
 */
async function loadQuarantine(warehouse: Warehouse, lake: LakeLayout, ingestDate: IsoDate): Promise<number> {
  const allFiles = join(lake.root, 'quarantine', 'transactions', '*', '*.parquet');
  if (!(await warehouse.relationKind(AUDIT_QUARANTINE))) {
    return (await warehouse.loadFiles({ files: [allFiles], format: 'parquet', target: AUDIT_QUARANTINE }))
      .rows;
  }
  const partition = lake.quarantinePartition(ingestDate);
  const ofTheDate = `ingest_date = cast(${warehouse.quoteLiteral(ingestDate)} as date)`;
  if (!hasParquet(partition)) {
    await warehouse.execute(`delete from ${warehouse.quoteRelation(AUDIT_QUARANTINE)} where ${ofTheDate}`);
    return 0;
  }
  const staged = { schema: AUDIT_QUARANTINE.schema, name: `${AUDIT_QUARANTINE.name}__fintech_partition` };
  const { rows } = await warehouse.loadFiles({
    files: [join(partition, '*.parquet')],
    format: 'parquet',
    target: staged,
  });
  try {
    const known = new Set((await warehouse.columns(AUDIT_QUARANTINE)).map((column) => column.name));
    const columns = (await warehouse.columns(staged)).map((column) => column.name);
    if (!columns.every((column) => known.has(column))) {
      // A new quarantine column: only a full reload gives the table its type.
      return (await warehouse.loadFiles({ files: [allFiles], format: 'parquet', target: AUDIT_QUARANTINE }))
        .rows;
    }
    const list = columns.map((column) => warehouse.quoteIdentifier(column)).join(', ');
    await warehouse.transaction(async (session) => {
      await session.execute(`delete from ${warehouse.quoteRelation(AUDIT_QUARANTINE)} where ${ofTheDate}`);
      await session.execute(
        `insert into ${warehouse.quoteRelation(AUDIT_QUARANTINE)} (${list}) select ${list} from ${warehouse.quoteRelation(staged)}`,
      );
    });
    return rows;
  } finally {
    await warehouse.drop(staged);
  }
}
