/**
 * One silver run for one ingest date: bronze transactions → contract check, tokenization, enrichment →
 * deduplicate/supersede against the version index → rewrite only the touched silver partitions, the
 * quarantine and the ledger, all committed through one journal (see commit-journal.ts). Entity snapshots of
 * the same ingest date are typed and tokenized alongside.
 *
 * @example
 *   const result = await runSilver({ config, lake, ingestDate: '2025-03-01', runId: 'run-1' });
 *   result.ledger.inserted; result.touchedEventDates; result.touchedPartitions;
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ResolvedConfig } from '../config/load-config.ts';
import type { IsoDate } from '../core/dates.ts';
import { PipelineError } from '../core/errors.ts';
import type { ReasonCode } from '../core/reason-codes.ts';
import { repeatedContractFields } from '../core/record-contract.ts';
import type { LakeLayout } from '../lake/lake-layout.ts';
import { assertNoRecordsLost, listBronzeFiles } from './bronze-files.ts';
import { withBronzeLines } from './bronze-line-reader.ts';
import {
  applyJournal,
  type CrashPoint,
  InjectedCrash,
  type JournalStep,
  recoverSilverCommits,
  silverStagingRoot,
  writeJournal,
} from './commit-journal.ts';
import { csvRecords } from './csv-records.ts';
import { type EntitySnapshotResult, runEntitySnapshots } from './entity-snapshots.ts';
import { hmacKeyPads } from './hmac-key-pads.ts';
import { assertLedgerBalanced, type LedgerEntry, lateByDays, ledgerPath } from './ledger-entry.ts';
import {
  DATA_FILE,
  deltaFileName,
  partitionSteps,
  planPartitionWrites,
  type SilverPartitionRef,
} from './partition-writes.ts';
import { csvFieldColumns, jsonRecordSchema } from './record-fields.ts';
import { openSilverDatabase } from './silver-database.ts';
import { silverIndexDir, silverIndexSource } from './silver-index.ts';
import { renderSql, type SqlParam } from './sql-template.ts';
import { resolveTokenizationKey } from './tokenization-key.ts';

export interface RunSilverOptions {
  config: ResolvedConfig;
  lake: LakeLayout;
  ingestDate: IsoDate;
  runId: string;
  /** Where notices go (a created tokenization key, a recovered run); default: nowhere. */
  notice?: (line: string) => void;
  /** Tests only: die at this point to prove a crash leaves silver readable and a rerun completes. */
  crashAt?: CrashPoint;
  /** Overrides the tokenization key (tests); otherwise resolved from config `tokenization.key`. */
  tokenizationKey?: Buffer;
}

export interface SilverResult {
  ledger: LedgerEntry;
  /** Event dates whose partitions changed: what the warehouse must reload. */
  touchedEventDates: IsoDate[];
  touchedPartitions: SilverPartitionRef[];
  /**
   * The transaction files this run's commit put into silver (new base files and added files), relative to the
   * lake root: every row the run changed is in one of them (what the load task exposes as the run's batch).
   */
  writtenFiles: string[];
  entities: EntitySnapshotResult[];
  /** Runs that had crashed after their commit point and were finished first. */
  recoveredRuns: string[];
}

export async function runSilver(options: RunSilverOptions): Promise<SilverResult> {
  const { config, lake, ingestDate, runId } = options;
  const notice = options.notice ?? (() => undefined);
  const recoveredRuns = await recoverSilverCommits(lake);
  for (const run of recoveredRuns) notice(`finished the interrupted silver commit of run ${run}`);

  const bronze = await listBronzeFiles(lake, 'transactions', ingestDate);
  if (!bronze) {
    throw new PipelineError(
      `no bronze transactions partition for ingest_date=${ingestDate} (nothing to process)`,
    );
  }
  const key = options.tokenizationKey ?? (await resolveTokenizationKey(config, notice));
  const pads = hmacKeyPads(key);

  const stageDir = join(silverStagingRoot(lake), `${safeName(runId)}-${randomUUID().slice(0, 8)}`);
  await mkdir(stageDir, { recursive: true });
  const database = await openSilverDatabase(config, join(stageDir, 'spill'));
  try {
    const db = database.connection;
    await run(db, 'setup-session', {
      mcc_seed: join(config.projectDir, 'seeds', 'mcc_codes.csv'),
      fx_seed: join(config.projectDir, 'seeds', 'fx_rates.csv'),
      source_files: bronze.files.map((file) => file.sourceFile),
      hmac_inner: { kind: 'blob', bytes: pads.inner },
      hmac_outer: { kind: 'blob', bytes: pads.outer },
    });
    const checkParams = {
      currencies: config.currencies,
      reporting_currency: config.reporting_currency,
      ingest_date: ingestDate,
      future_tolerance_seconds: Math.round(config.silver.future_tolerance_hours * 3600),
      earliest_event_date: config.silver.earliest_event_date,
    } as const;
    // One file at a time, parse → check → quarantine → drop the lines → keep the valid rows, so only one file's
    // lines and typed records are held at once, and its lines no longer while the valid rows are built.
    for (const file of bronze.files) {
      const started = stepStart();
      await withBronzeLines(db, file, async (fileLines, releaseLines) => {
        // A CSV record may span lines (a quoted line break); JSON Lines are one record per line.
        const records =
          file.format === 'csv'
            ? await csvRecords(db, fileLines)
            : { relation: fileLines, release: async () => undefined };
        const lines = records.relation;
        const linesSql = { kind: 'sql', text: lines } as const;
        if (file.format === 'jsonl') {
          await run(db, 'parse-jsonl', { lines: linesSql, schema: jsonRecordSchema() });
        } else {
          const header = await readCsvHeader(db, lines);
          await run(db, 'parse-csv', {
            lines: linesSql,
            header_count: header.length,
            field_columns: { kind: 'sql', text: csvFieldColumns(header) },
            duplicate_header: repeatedContractFields(header).length > 0,
          });
        }
        await run(db, 'check-records', { ...checkParams, lines: linesSql });
        assertNoRecordsLost(file, await count(db, 'parsed'));
        await run(db, 'quarantine-rejected', {
          lines: linesSql,
          ingest_date: ingestDate,
          run_id: runId,
          source_file: file.sourceFile,
        });
        await records.release();
        await releaseLines();
        await run(db, 'keep-valid', { ingest_date: ingestDate, file_no: file.fileNo });
      });
      profile(`read ${file.sourceFile}`, started);
    }
    await run(db, 'classify-versions', { index_source: await silverIndexSource(lake) });
    if (process.env['FINTECH_ETL_SILVER_PROFILE']) {
      const memory = await rows<{ tag: string; mb: number }>(
        db,
        'SELECT tag, round(memory_usage_bytes / 1e6) AS mb FROM duckdb_memory() WHERE memory_usage_bytes > 0',
      );
      process.stderr.write(`silver: memory ${JSON.stringify(memory)}\n`);
    }

    const touched = await rows<{ event_date: string; merchant_category: string; loses_rows: boolean }>(
      db,
      "SELECT strftime(event_date, '%Y-%m-%d') AS event_date, merchant_category, loses_rows FROM touched_partitions ORDER BY 1, 2",
    );
    const writes = await planPartitionWrites(
      lake,
      touched.map((row) => ({
        eventDate: row.event_date as IsoDate,
        merchantCategory: row.merchant_category,
        losesRows: row.loses_rows,
      })),
    );
    const touchedPartitions = writes.map((write) => write.partition);
    if (process.env['FINTECH_ETL_SILVER_PROFILE']) {
      const rewrites = writes.filter((write) => write.mode === 'rewrite');
      process.stderr.write(
        `silver: ${rewrites.length} partitions rewritten (${rewrites.flatMap((write) => write.files).length} files merged), ${writes.length - rewrites.length} added to\n`,
      );
    }

    const silverStage = join(stageDir, 'silver');
    const indexStage = join(stageDir, 'index.parquet');
    const quarantineStage = join(stageDir, 'quarantine.parquet');
    await run(db, 'write-index', { index_stage: indexStage, quarantine_stage: quarantineStage });
    const ledger = await buildLedgerEntry(db, {
      runId,
      ingestDate,
      files: bronze.files.map((file) => file.sourceFile),
      touchedPartitions,
    });
    assertLedgerBalanced(ledger);
    const ledgerStage = join(stageDir, 'ledger.json');
    await writeFile(ledgerStage, `${JSON.stringify(ledger, null, 2)}\n`);
    // Last, as it drops every table but the winners first (write-silver.sql): the largest write gets the memory.
    await run(db, 'write-silver', { silver_stage: silverStage, ingest_date: ingestDate });

    const stepsStarted = stepStart();
    const rewriters = [db, await database.connect()];
    const silverSteps = await partitionSteps(
      rewriters,
      { silver: silverStage, rewrite: join(stageDir, 'rewrite') },
      writes,
      deltaFileName(ingestDate, basename(stageDir)),
    ).finally(() => rewriters[1]!.closeSync());
    profile('partition steps', stepsStarted);
    const steps: JournalStep[] = [
      ...silverSteps,
      { kind: 'move', from: indexStage, to: join(silverIndexDir(lake), `ingest_date=${ingestDate}.parquet`) },
      { kind: 'move', from: quarantineStage, to: join(lake.quarantinePartition(ingestDate), DATA_FILE) },
      { kind: 'move', from: ledgerStage, to: ledgerPath(lake, ingestDate, runId) },
    ];
    if (options.crashAt === 'before-commit')
      throw new InjectedCrash('injected crash before the silver commit');
    const commitStarted = stepStart();
    await writeJournal(stageDir, { runId, steps });
    if (options.crashAt === 'after-commit')
      throw new InjectedCrash('injected crash after the silver commit point');
    await applyJournal({ runId, steps }, options.crashAt);
    await rm(stageDir, { recursive: true, force: true });
    profile('commit', commitStarted);

    const entitiesStarted = stepStart();
    const entities = await runEntitySnapshots({ db, lake, ingestDate, stageRoot: stageDir });
    await rm(stageDir, { recursive: true, force: true });
    profile('entity snapshots', entitiesStarted);
    return {
      ledger,
      touchedEventDates: [...new Set(touchedPartitions.map((partition) => partition.eventDate))],
      touchedPartitions,
      writtenFiles: silverSteps.flatMap((step) =>
        step.kind === 'move' ? [relative(lake.root, step.to)] : [],
      ),
      entities,
      recoveredRuns,
    };
  } catch (error) {
    // Before the commit point nothing in the lake changed; remove the litter. After it, the journal stays for
    // the next run to finish.
    if (!existsSync(join(stageDir, '_journal.json'))) await rm(stageDir, { recursive: true, force: true });
    throw error;
  } finally {
    database.close();
  }
}

async function buildLedgerEntry(
  db: DuckDBConnection,
  context: { runId: string; ingestDate: IsoDate; files: string[]; touchedPartitions: SilverPartitionRef[] },
): Promise<LedgerEntry> {
  const [bronze] = await rows<{ bronze_rows: bigint; quarantined: bigint }>(
    db,
    'SELECT (SELECT count(*) FROM row_outcomes) + (SELECT count(*) FROM quarantine_rows) AS bronze_rows, ' +
      '(SELECT count(*) FROM quarantine_rows) AS quarantined',
  );
  const outcomes = new Map(
    (
      await rows<{ outcome: string; n: bigint }>(
        db,
        'SELECT outcome, count(*) AS n FROM row_outcomes GROUP BY 1',
      )
    ).map((row) => [row.outcome, Number(row.n)]),
  );
  const reasons = await rows<{ code: ReasonCode; n: bigint }>(
    db,
    'SELECT code, count(*) AS n FROM (SELECT unnest(reason_codes) AS code FROM quarantine_rows) GROUP BY 1 ORDER BY 1',
  );
  const late = await rows<{ event_date: string; n: bigint }>(
    db,
    `SELECT strftime(event_date, '%Y-%m-%d') AS event_date, count(*) AS n
     FROM row_outcomes
     WHERE outcome IN ('inserted', 'superseded') AND event_date < ingest_date
     GROUP BY 1`,
  );
  const lateCounts = lateByDays(
    context.ingestDate,
    late.map((row) => [row.event_date as IsoDate, Number(row.n)]),
  );
  return {
    run_id: context.runId,
    dataset: 'transactions',
    ingest_date: context.ingestDate,
    bronze_rows: Number(bronze!.bronze_rows),
    inserted: outcomes.get('inserted') ?? 0,
    superseded: outcomes.get('superseded') ?? 0,
    duplicates: outcomes.get('duplicate') ?? 0,
    quarantined: Number(bronze!.quarantined),
    quarantined_by_reason: Object.fromEntries(reasons.map((row) => [row.code, Number(row.n)])),
    late_rows: Object.values(lateCounts).reduce((sum, n) => sum + n, 0),
    late_by_days: lateCounts,
    touched_partitions: context.touchedPartitions.map(
      (partition) => `event_date=${partition.eventDate}/merchant_category=${partition.merchantCategory}`,
    ),
    files: context.files,
    processed_at: new Date().toISOString(),
  };
}

async function readCsvHeader(db: DuckDBConnection, lines: string): Promise<string[]> {
  const [header] = await rows<{ fields: string[] }>(
    db,
    `SELECT list_transform(regexp_extract_all(raw, '(?:^|,)("(?:[^"]|"")*"|[^,"]*)', 1), f -> csv_unquote(f)) AS fields
     FROM (${lines}) WHERE line_no = 1`,
  );
  return header?.fields ?? [];
}

async function run(db: DuckDBConnection, name: string, params: Record<string, SqlParam>): Promise<void> {
  const started = stepStart();
  await db.run(renderSql(name, params));
  profile(name, started);
}

/** When a profiled step started: wall clock (ms) and process CPU of all threads (µs). */
interface StepStart {
  wall: number;
  cpu: number;
}

function stepStart(): StepStart {
  const cpu = process.cpuUsage();
  return { wall: performance.now(), cpu: cpu.user + cpu.system };
}

/**
 * `FINTECH_ETL_SILVER_PROFILE=1` prints each step's wall time and process CPU seconds on stderr (for the bench
 * and tuning; CPU seconds are steadier than wall time on a busy machine).
 */
function profile(step: string, started: StepStart): void {
  if (process.env['FINTECH_ETL_SILVER_PROFILE']) {
    const now = stepStart();
    process.stderr.write(
      `silver: ${step} ${((now.wall - started.wall) / 1000).toFixed(2)} s, cpu ${((now.cpu - started.cpu) / 1e6).toFixed(2)} s\n`,
    );
  }
}

async function count(db: DuckDBConnection, table: string): Promise<number> {
  const [row] = await rows<{ n: bigint }>(db, `SELECT count(*) AS n FROM ${table}`);
  return Number(row!.n);
}

async function rows<T>(db: DuckDBConnection, text: string): Promise<T[]> {
  return (await db.runAndReadAll(text)).getRowObjectsJS() as T[];
}

function safeName(runId: string): string {
  return runId.replace(/[^A-Za-z0-9_.-]/g, '_');
}
