/**
 * The `load` task: makes the silver partitions a run touched, the day's entity snapshots, the ledger and the
 * quarantine reachable in the warehouse. Engines that read Parquet themselves get views; the others load only
 * what changed (or everything, the first time a table is loaded).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { IsoDate } from '../core/dates.ts';
import type { LakeLayout } from '../lake/lake-layout.ts';
import { ENTITY_DATASETS } from '../lake/lake-layout.ts';
import type { SilverTable, Warehouse } from '../warehouse/warehouse.ts';
import { emptySilverTableSql } from './empty-silver-table.ts';

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

  rows['silver_transactions'] = await loadSilverTable(
    warehouse,
    lake,
    'transactions',
    input.touchedEventDates,
    input.logicalDate,
  );
  await warehouse.exposeSilverBatch({
    lakeRoot: lake.root,
    ingestDate: input.logicalDate,
    files: input.writtenFiles,
  });
  for (const entity of ENTITY_DATASETS) {
    const snapshot = existsSync(lake.silverEntity(entity, input.logicalDate)) ? [input.logicalDate] : [];
    rows[`silver_${entity}`] = await loadSilverTable(warehouse, lake, entity, snapshot);
  }

  const ledgerFiles = join(lake.ledger(), 'transactions', '*', '*.json');
  rows['ledger'] = (
    await warehouse.loadFiles({ files: ledgerFiles, format: 'json', target: AUDIT_LEDGER })
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
    return (await warehouse.loadFiles({ files: allFiles, format: 'parquet', target: AUDIT_QUARANTINE })).rows;
  }
  const partition = lake.quarantinePartition(ingestDate);
  const ofTheDate = `ingest_date = cast(${warehouse.quoteLiteral(ingestDate)} as date)`;
  if (!hasParquet(partition)) {
    await warehouse.execute(`delete from ${warehouse.quoteRelation(AUDIT_QUARANTINE)} where ${ofTheDate}`);
    return 0;
  }
  const staged = { schema: AUDIT_QUARANTINE.schema, name: `${AUDIT_QUARANTINE.name}__fintech_partition` };
  const { rows } = await warehouse.loadFiles({
    files: join(partition, '*.parquet'),
    format: 'parquet',
    target: staged,
  });
  try {
    const known = new Set((await warehouse.columns(AUDIT_QUARANTINE)).map((column) => column.name));
    const columns = (await warehouse.columns(staged)).map((column) => column.name);
    if (!columns.every((column) => known.has(column))) {
      // A new quarantine column: only a full reload gives the table its type.
      return (await warehouse.loadFiles({ files: allFiles, format: 'parquet', target: AUDIT_QUARANTINE }))
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

async function loadSilverTable(
  warehouse: Warehouse,
  lake: LakeLayout,
  table: SilverTable,
  partitions: IsoDate[],
  ingestDate?: IsoDate,
): Promise<number> {
  const relation = { schema: 'staging', name: `silver_${table}` };
  const folder = join(lake.root, 'silver', table);
  if (!hasParquet(folder)) {
    // Feeds without entity files (the original project's CSVs) still need the staging relations the models
    // read; an empty table with the silver contract's columns keeps them valid.
    if (!(await warehouse.relationKind(relation)))
      await warehouse.execute(emptySilverTableSql(table, warehouse.quoteRelation(relation)));
    return 0;
  }
  const existing = await warehouse.relationKind(relation);
  if (warehouse.capabilities.readsParquetDirectly) {
    if (existing === 'table') await warehouse.drop(relation);
    return (await warehouse.loadSilver({ lakeRoot: lake.root, table, partitions: 'all' })).rows;
  }
  if (existing === undefined) {
    return (await warehouse.loadSilver({ lakeRoot: lake.root, table, partitions: 'all' })).rows;
  }
  if (partitions.length === 0) return 0;
  return (await warehouse.loadSilver({ lakeRoot: lake.root, table, partitions, ingestDate })).rows;
}

function hasParquet(folder: string): boolean {
  if (!existsSync(folder)) return false;
  const walk = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((entry) =>
      entry.isDirectory()
        ? !entry.name.startsWith('_') && walk(join(dir, entry.name))
        : entry.name.endsWith('.parquet'),
    );
  return walk(folder);
}
