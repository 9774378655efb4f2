/**
 * The `load` task: brings into the warehouse every silver commit it does not hold yet — the run's own, and any
 * that a run killed after its silver commit left (silver-commits.ts) — whatever run committed it: their
 * transactions and entity snapshots (load-silver.ts), quarantine and the ledger, each from the files of its
 * latest committed snapshot. Its result's `batch` is what the models take: the rows of every commit loaded now
 * or earlier that no models run has finished with, as `staging.silver_transactions_batch`, and the event dates
 * they touched (`batchVars`). A commit is recorded as loaded in the transaction that loads its transactions,
 * after its snapshots and quarantine: a crash before that leaves it to load again, which replaces the same rows.
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
import { readSilverBacklog, recordLoadedSql, type SilverCommit } from './silver-commits.ts';

export interface LoadWarehouseInput {
  warehouse: Warehouse;
  lake: Lake;
  logicalDate: IsoDate;
  /**
   * Event dates the run's batch touched beyond its commits' own (a released quality hold: the dates of the
   * batch its gate judged).
   */
  touchedEventDates: IsoDate[];
  /** Transaction files (lake keys) holding rows of the batch beyond its commits' own (a released hold's). */
  writtenFiles: string[];
  /** Names the COPY manifests an engine loading from S3 reads, and the load in audit.silver_commits. */
  runId?: string;
}

/** One silver commit of a batch (JSON). */
export interface BatchCommit {
  txnId: string;
  runId: string;
  ingestDate: IsoDate;
  eventDates: IsoDate[];
  /** Loaded by this load (else by an earlier one whose models run never finished). */
  loadedNow: boolean;
}

/** What the models take from a load: plain JSON, so a task that runs them elsewhere gets it whole. */
export interface SilverBatch {
  /** The silver commits whose rows the batch holds, oldest first. */
  commits: BatchCommit[];
  /** Their ingest dates and the run's logical date: the rows of `staging.silver_transactions_batch`. */
  ingestDates: IsoDate[];
  /** Every event date those commits (and a released hold's batch) touched: what the models recompute. */
  eventDates: IsoDate[];
}

export interface LoadWarehouseResult {
  /** Rows written per table (0 where the engine reads the files in place). */
  rows: Record<string, number>;
  batch: SilverBatch;
  /**
   * The live files `staging.silver_transactions_batch` reads in place (lake keys), so a task in another process
   * can expose it again the same way; undefined when its rows are read from the loaded relation.
   */
  files?: string[];
}

export async function loadWarehouse(input: LoadWarehouseInput): Promise<LoadWarehouseResult> {
  const { warehouse, lake } = input;
  const runId = input.runId ?? newRunId('load');
  const rows: Record<string, number> = {};
  await warehouse.ensureSchema('staging');
  await warehouse.ensureSchema('audit');
  const backlog = await readSilverBacklog(warehouse, lake);
  const loading = backlog.unloaded;
  const loadingDates = uniqueSorted(loading.map((commit) => commit.ingestDate));

  for (const dataset of SILVER_DATASETS.filter((candidate) => candidate.name !== 'transactions')) {
    // An entity's snapshots of the ingest dates loaded, where their runs wrote one.
    const snapshot = await lake.snapshot(silverTable(dataset.name));
    const partitions = loadingDates.filter((date) => snapshot.files({ snapshot_date: date }).length > 0);
    rows[`silver_${dataset.name}`] = await loadSilverDataset(warehouse, lake, dataset, { partitions }, runId);
  }
  if ((await lake.snapshot(QUARANTINE_TABLE)).exists) {
    rows['quarantine'] = 0;
    for (const date of loadingDates) rows['quarantine'] += await loadQuarantine(warehouse, lake, date, runId);
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

  const transactions = SILVER_DATASETS.find((dataset) => dataset.name === 'transactions')!;
  rows['silver_transactions'] = await loadSilverDataset(
    warehouse,
    lake,
    transactions,
    { partitions: uniqueSorted(loading.flatMap((commit) => commit.eventDates)), ingestDates: loadingDates },
    runId,
    recordLoadedSql(warehouse, loading, runId),
  );

  const batch = batchOf([...backlog.unmodeled, ...loading], input, new Set(loading.map((c) => c.txnId)));
  const files = await batchFiles(lake, [...backlog.unmodeled, ...loading], batch, input.writtenFiles);
  await exposeSilverBatch(warehouse, lake, { ingestDates: batch.ingestDates, files });
  return { rows, batch, ...(files ? { files } : {}) };
}

/** The batch of `commits` (loaded now or before, not yet modeled), with the run's own date and extras. */
function batchOf(commits: SilverCommit[], input: LoadWarehouseInput, loadedNow: Set<string>): SilverBatch {
  const ordered = [...commits].sort((a, b) => a.ledgerVersion - b.ledgerVersion);
  return {
    commits: ordered.map(({ txnId, runId, ingestDate, eventDates }) => ({
      txnId,
      runId,
      ingestDate,
      eventDates,
      loadedNow: loadedNow.has(txnId),
    })),
    ingestDates: uniqueSorted([...ordered.map((commit) => commit.ingestDate), input.logicalDate]),
    eventDates: uniqueSorted([...ordered.flatMap((commit) => commit.eventDates), ...input.touchedEventDates]),
  };
}

/**
 * Files holding every row of the batch, for an engine that reads them in place: the live files its commits
 * added (a later commit that rewrote one of their partitions is in the batch too, with the file that replaced
 * it), and the extra ones given. Undefined when an ingest date of the batch has no commit in it (its rows are
 * then read from the loaded relation).
 */
async function batchFiles(
  lake: Lake,
  commits: SilverCommit[],
  batch: SilverBatch,
  extra: string[],
): Promise<string[] | undefined> {
  const covered = new Set(commits.map((commit) => commit.ingestDate));
  if (batch.ingestDates.some((date) => !covered.has(date))) return undefined;
  const live = new Set((await lake.snapshot(silverTable('transactions'))).files().map((file) => file.key));
  return [...new Set([...commits.flatMap((commit) => commit.addedFiles), ...extra])].filter((key) =>
    live.has(key),
  );
}

/**
 * The model vars of a batch (pipeline/macros/event_dates.sql): the event dates to recompute, the ingest dates
 * whose rows the models take, the commits the models run marks done when every model has built (its
 * on-run-end hook, pipeline/macros/silver_commits.sql), and that `staging.silver_transactions_batch` holds them.
 */
export function batchVars(batch: SilverBatch): Record<string, unknown> {
  return {
    event_dates: batch.eventDates,
    ingest_dates: batch.ingestDates,
    silver_commits: batch.commits.map((commit) => commit.txnId),
    silver_batch: true,
  };
}

/**
 * One line for the run summary: rows loaded per table, and the silver commits of other runs the batch took
 * (a run killed after its silver commit, a models run that did not finish).
 */
export function loadSummary(load: LoadWarehouseResult, engine: string, runId: string): string {
  const loaded = Object.entries(load.rows).filter(([, rows]) => rows > 0);
  const rows = loaded.length
    ? loaded.map(([table, count]) => `${table} ${count}`).join(', ')
    : `${engine} reads silver in place`;
  const others = load.batch.commits.filter((commit) => commit.runId !== runId);
  if (others.length === 0) return rows;
  const listed = others
    .map((commit) => `${commit.ingestDate} (run ${commit.runId}${commit.loadedNow ? '' : ', loaded before'})`)
    .join(', ');
  return `${rows}; also took the silver of ${listed}, which no finished run had brought into the marts`;
}

function uniqueSorted(dates: IsoDate[]): IsoDate[] {
  return [...new Set(dates)].sort();
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
