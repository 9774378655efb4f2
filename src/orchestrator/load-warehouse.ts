/**
 * The `load` task: makes the silver partitions a run touched, the day's entity snapshots (load-silver.ts), the
 * ledger and the quarantine reachable in the warehouse, each from the files of its latest committed snapshot.
 */
import type { IsoDate } from '../core/dates.ts';
import { newRunId } from '../core/run-id.ts';
import type { Lake } from '../lake/lake.ts';
import { LEDGER_TABLE, QUARANTINE_TABLE, silverTable } from '../lake/lake-layout.ts';
import { copyManifestKey } from '../lake/redshift-copy-manifest.ts';
import { LEDGER_COLUMNS } from '../silver/ledger-entry.ts';
import { SILVER_DATASETS } from '../silver/silver-contract.ts';
import type { LoadFilesOptions, Warehouse } from '../warehouse/warehouse.ts';
import { exposeSilverBatch, filesSource, loadSilverDataset, type SilverFilesSource } from './load-silver.ts';

export interface LoadWarehouseInput {
  warehouse: Warehouse;
  lake: Lake;
  logicalDate: IsoDate;
  /** Event dates whose silver partitions the run rewrote. */
  touchedEventDates: IsoDate[];
  /** The transaction files the run's silver commit wrote, as lake keys (SilverResult). */
  writtenFiles: string[];
  /** Names the COPY manifests an engine loading from S3 reads (default: a new id). */
  runId?: string;
}

export interface LoadWarehouseResult {
  /** Rows written per table (0 where the engine reads the files in place). */
  rows: Record<string, number>;
}

export async function loadWarehouse(input: LoadWarehouseInput): Promise<LoadWarehouseResult> {
  const { warehouse, lake } = input;
  const runId = input.runId ?? newRunId('load');
  const rows: Record<string, number> = {};
  await warehouse.ensureSchema('staging');
  await warehouse.ensureSchema('audit');

  for (const dataset of SILVER_DATASETS) {
    const snapshotOfTheDate = async () =>
      (await lake.snapshot(silverTable(dataset.name))).files({ snapshot_date: input.logicalDate }).length > 0;
    const change =
      dataset.name === 'transactions'
        ? { partitions: input.touchedEventDates, ingestDate: input.logicalDate }
        : // An entity's snapshot of the logical date, when the run wrote one.
          { partitions: (await snapshotOfTheDate()) ? [input.logicalDate] : [] };
    rows[`silver_${dataset.name}`] = await loadSilverDataset(warehouse, lake, dataset, change, runId);
    if (dataset.name === 'transactions') {
      await exposeSilverBatch(warehouse, lake, { ingestDate: input.logicalDate, files: input.writtenFiles });
    }
  }

  const ledger = (await lake.snapshot(LEDGER_TABLE)).files();
  const ledgerSource = await filesSource(warehouse, lake, ledger, ledger, copyManifestKey(runId, 'ledger'));
  rows['ledger'] = (
    await warehouse.loadFiles({
      ...sourceFiles(ledgerSource),
      format: 'json',
      target: AUDIT_LEDGER,
      columns: LEDGER_COLUMNS,
    })
  ).rows;
  if ((await lake.snapshot(QUARANTINE_TABLE)).exists) {
    rows['quarantine'] = await loadQuarantine(warehouse, lake, input.logicalDate, runId);
  }
  return { rows };
}

export const AUDIT_LEDGER = { schema: 'audit', name: 'ledger' };
export const AUDIT_QUARANTINE = { schema: 'audit', name: 'quarantine' };

function sourceFiles(source: SilverFilesSource): Pick<LoadFilesOptions, 'files' | 'manifest'> {
  return source.kind === 'manifest'
    ? { files: source.url ? [source.url] : [], manifest: true }
    : { files: source.files };
}

/**
 * `audit.quarantine` holds one file per ingest date, replaced when that date runs again: the first load reads
 * every file, later ones replace the run's ingest date only (staged beside the table, then swapped in one
 * transaction, so readers never see the date half loaded). The ledger stays a full reload: its JSON nests
 * per-run maps (late_by_days) whose fields only the union of every file types completely, and it is one small
 * file per run.
 */
async function loadQuarantine(
  warehouse: Warehouse,
  lake: Lake,
  ingestDate: IsoDate,
  runId: string,
): Promise<number> {
  const snapshot = await lake.snapshot(QUARANTINE_TABLE);
  const all = snapshot.files();
  const loadAll = async () =>
    (
      await warehouse.loadFiles({
        ...sourceFiles(await filesSource(warehouse, lake, all, all, copyManifestKey(runId, 'quarantine'))),
        format: 'parquet',
        target: AUDIT_QUARANTINE,
      })
    ).rows;
  if (!(await warehouse.relationKind(AUDIT_QUARANTINE))) return loadAll();
  const ofTheDate = `ingest_date = cast(${warehouse.quoteLiteral(ingestDate)} as date)`;
  const files = snapshot.files({ ingest_date: ingestDate });
  if (files.length === 0) {
    await warehouse.execute(`delete from ${warehouse.quoteRelation(AUDIT_QUARANTINE)} where ${ofTheDate}`);
    return 0;
  }
  const staged = { schema: AUDIT_QUARANTINE.schema, name: `${AUDIT_QUARANTINE.name}__fintech_partition` };
  const { rows } = await warehouse.loadFiles({
    ...sourceFiles(await filesSource(warehouse, lake, files, all, copyManifestKey(runId, 'quarantine-date'))),
    format: 'parquet',
    target: staged,
  });
  try {
    const known = new Set((await warehouse.columns(AUDIT_QUARANTINE)).map((column) => column.name));
    const columns = (await warehouse.columns(staged)).map((column) => column.name);
    // A new quarantine column: only a full reload gives the table its type.
    if (!columns.every((column) => known.has(column))) return loadAll();
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
