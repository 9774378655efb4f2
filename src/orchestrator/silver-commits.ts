/**
 * Which silver commits the warehouse holds, kept in the warehouse itself: `audit.silver_commits`, one row per
 * silver run's commit (its ledger entry, transaction partitions, quarantine file and entity snapshots, published
 * together). The load writes a commit's row in the transaction that loads its transactions, so after a crash the
 * table says exactly what is loaded; the models' `on-run-end` hook marks the rows a models run took once every
 * model has built (pipeline/macros/silver_commits.sql). The lake's logs say what silver holds: every commit after
 * the last one recorded is still to load, whatever run committed it (a run killed after its silver commit, then
 * never rerun), and every recorded commit not yet marked is still to model.
 *
 * @example
 *   const backlog = await readSilverBacklog(warehouse, lake);
 *   backlog.unloaded; // commits to load now, oldest first
 *   backlog.unmodeled; // loaded, but no models run has finished with them
 */
import type { IsoDate } from '../core/dates.ts';
import { PipelineError } from '../core/errors.ts';
import type { TableCommit } from '../lake/commit-log/read-table-commits.ts';
import type { Lake } from '../lake/lake.ts';
import { LEDGER_TABLE, silverTable } from '../lake/lake-layout.ts';
import type { Relation, Warehouse } from '../warehouse/warehouse.ts';

export const AUDIT_SILVER_COMMITS: Relation = { schema: 'audit', name: 'silver_commits' };

/** One silver run's commit, as the lake's logs describe it. */
export interface SilverCommit {
  /** The lake commit (the same in every table it changed). */
  txnId: string;
  runId: string;
  ingestDate: IsoDate;
  /** The version of the ledger table that holds the run's entry: every silver run commits one. */
  ledgerVersion: number;
  /** The version of silver transactions it made; null when it changed no transaction partition. */
  transactionsVersion: number | null;
  /** Event dates whose partitions it added rows to or rewrote (where rows went, and where they left). */
  eventDates: IsoDate[];
  /** The transaction files it added, as lake keys. */
  addedFiles: string[];
  /** When it was committed (ISO timestamp). */
  committedAt: string;
}

export interface SilverBacklog {
  /** Committed in the lake, not yet in the warehouse: what the load takes now, oldest first. */
  unloaded: SilverCommit[];
  /** Loaded by an earlier load whose models run never finished (killed or failed), oldest first. */
  unmodeled: SilverCommit[];
}

const TRANSACTIONS_TABLE = silverTable('transactions');

export async function ensureSilverCommitsTable(warehouse: Warehouse): Promise<void> {
  await warehouse.ensureSchema(AUDIT_SILVER_COMMITS.schema);
  await warehouse.execute(
    `create table if not exists ${warehouse.quoteRelation(AUDIT_SILVER_COMMITS)} (
       txn_id varchar, run_id varchar, ingest_date date, ledger_version bigint, transactions_version bigint,
       event_dates varchar, committed_at timestamp, loaded_by_run varchar, loaded_at timestamp,
       modeled_by_run varchar, modeled_at timestamp)`,
  );
}

/**
 * What the warehouse lacks of silver: the lake's commits after the last one it recorded, and the recorded ones no
 * models run has finished with. Reads only the log entries from the oldest of those on.
 */
export async function readSilverBacklog(warehouse: Warehouse, lake: Lake): Promise<SilverBacklog> {
  await ensureSilverCommitsTable(warehouse);
  const table = warehouse.quoteRelation(AUDIT_SILVER_COMMITS);
  const [marks] = (
    await warehouse.query(
      `select max(ledger_version) as ledger, max(transactions_version) as transactions,
         min(case when modeled_by_run is null then ledger_version end) as pending_ledger,
         min(case when modeled_by_run is null then transactions_version end) as pending_transactions
       from ${table}`,
    )
  ).rows;
  const version = (value: unknown) => (value === null || value === undefined ? undefined : Number(value));
  const recordedLedger = version(marks?.['ledger']) ?? -1;
  const pendingLedger = version(marks?.['pending_ledger']);
  const pendingTransactions = version(marks?.['pending_transactions']);
  const ledgerFrom = pendingLedger !== undefined ? pendingLedger - 1 : recordedLedger;
  const transactionsFrom =
    pendingTransactions !== undefined ? pendingTransactions - 1 : (version(marks?.['transactions']) ?? -1);

  const lakeLedger = (await lake.snapshot(LEDGER_TABLE)).version;
  if (lakeLedger < recordedLedger) {
    throw new PipelineError(
      `the warehouse has loaded silver up to version ${recordedLedger} of ${LEDGER_TABLE}, but the lake at ${lake.location} holds only up to version ${lakeLedger}: it is not the lake this warehouse was loaded from (use a new warehouse for a new lake)`,
    );
  }
  const logs = await lake.commits({ [LEDGER_TABLE]: ledgerFrom, [TRANSACTIONS_TABLE]: transactionsFrom });
  const commits = silverCommits(logs.get(LEDGER_TABLE)!, logs.get(TRANSACTIONS_TABLE)!);
  const recorded = new Map(
    (
      await warehouse.query(
        `select txn_id, modeled_by_run from ${table} where ledger_version > ${Math.trunc(ledgerFrom)}`,
      )
    ).rows.map((row) => [String(row['txn_id']), row['modeled_by_run'] !== null]),
  );
  return {
    unloaded: commits.filter((commit) => !recorded.has(commit.txnId)),
    unmodeled: commits.filter((commit) => recorded.get(commit.txnId) === false),
  };
}

/** Each ledger commit (one per silver run) with what the same lake commit did to the transactions. */
export function silverCommits(ledger: TableCommit[], transactions: TableCommit[]): SilverCommit[] {
  const byTxn = new Map(transactions.map((commit) => [commit.txnId, commit]));
  return ledger.flatMap((entry) => {
    const ingestDate = entry.adds[0]?.partitionValues['ingest_date'];
    if (!ingestDate) return [];
    const changed = byTxn.get(entry.txnId);
    const eventDates = new Set<IsoDate>();
    for (const file of [...(changed?.adds ?? []), ...(changed?.removes ?? [])]) {
      const eventDate = file.partitionValues['event_date'];
      if (eventDate) eventDates.add(eventDate as IsoDate);
    }
    return [
      {
        txnId: entry.txnId,
        runId: entry.runId,
        ingestDate: ingestDate as IsoDate,
        ledgerVersion: entry.version,
        transactionsVersion: changed?.version ?? null,
        eventDates: [...eventDates].sort(),
        addedFiles: changed?.adds.map((file) => file.key) ?? [],
        committedAt: new Date(entry.timestamp).toISOString(),
      },
    ];
  });
}

/** The statements that record `commits` as loaded by `runId` (run in the load's transaction). */
export function recordLoadedSql(warehouse: Warehouse, commits: SilverCommit[], runId: string): string[] {
  if (commits.length === 0) return [];
  const text = (value: string) => warehouse.quoteLiteral(value);
  const timestamp = (iso: string) => `cast(${text(iso.replace('T', ' ').replace('Z', ''))} as timestamp)`;
  const loadedAt = timestamp(new Date().toISOString());
  const values = commits.map((commit) =>
    [
      text(commit.txnId),
      text(commit.runId),
      `cast(${text(commit.ingestDate)} as date)`,
      String(commit.ledgerVersion),
      commit.transactionsVersion === null ? 'cast(null as bigint)' : String(commit.transactionsVersion),
      text(commit.eventDates.join(',')),
      timestamp(commit.committedAt),
      text(runId),
      loadedAt,
      'cast(null as varchar)',
      'cast(null as timestamp)',
    ].join(', '),
  );
  return [
    `insert into ${warehouse.quoteRelation(AUDIT_SILVER_COMMITS)} (txn_id, run_id, ingest_date, ledger_version, transactions_version, event_dates, committed_at, loaded_by_run, loaded_at, modeled_by_run, modeled_at) values (${values.join('), (')})`,
  ];
}
