/**
 * One silver run for one ingest date: bronze transactions → contract check, tokenization, enrichment →
 * deduplicate/supersede against the version index → rewrite only the touched silver partitions, the
 * quarantine and the ledger, all committed through one journal (see commit-journal.ts). Entity snapshots of
 * the same ingest date are typed and tokenized alongside. Each step is reported to `events`.
 *
 * @example
 *   const result = await runSilver({ config, lake, ingestDate: '2025-03-01', runId: 'run-1' });
 *   result.ledger.inserted; result.touchedEventDates; result.touchedPartitions;
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { ResolvedConfig } from '../config/load-config.ts';
import type { IsoDate } from '../core/dates.ts';
import { PipelineError } from '../core/errors.ts';
import { type EventSink, NO_EVENTS } from '../core/pipeline-event.ts';
import type { LakeLayout } from '../lake/lake-layout.ts';
import { listBronzeFiles } from './bronze-files.ts';
import { buildLedgerEntry } from './build-ledger-entry.ts';
import {
  type CommitHooks,
  commitJournal,
  JOURNAL_FILE,
  type JournalStep,
  recoverSilverCommits,
  silverStagingRoot,
} from './commit-journal.ts';
import { type EntitySnapshotResult, runEntitySnapshots } from './entity-snapshots.ts';
import { hmacKeyPads } from './hmac-key-pads.ts';
import { assertLedgerBalanced, type LedgerEntry, ledgerPath } from './ledger-entry.ts';
import {
  DATA_FILE,
  deltaFileName,
  type PartitionWrite,
  partitionSteps,
  planPartitionWrites,
  readTouchedPartitions,
  type SilverPartitionRef,
} from './partition-writes.ts';
import { readBronzeBatch } from './read-bronze-batch.ts';
import { batchRowColumns } from './record-fields.ts';
import { openSilverDatabase, type SilverDatabase } from './silver-database.ts';
import { silverIndexDir, silverIndexSource } from './silver-index.ts';
import { SilverSession } from './silver-session.ts';
import { resolveTokenizationKey } from './tokenization-key.ts';

export interface RunSilverOptions {
  config: ResolvedConfig;
  lake: LakeLayout;
  ingestDate: IsoDate;
  runId: string;
  /** Where notices (a created tokenization key, a recovered run) and step timings go; default: nowhere. */
  events?: EventSink;
  /** Called around the commit steps (crash tests); default: none. */
  commitHooks?: CommitHooks;
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
  const events = options.events ?? NO_EVENTS;
  const recoveredRuns = await recoverSilverCommits(lake);
  for (const run of recoveredRuns) {
    events.emit({ kind: 'notice', message: `finished the interrupted silver commit of run ${run}` });
  }

  const bronze = await listBronzeFiles(lake, 'transactions', ingestDate);
  if (!bronze) {
    throw new PipelineError(
      `no bronze transactions partition for ingest_date=${ingestDate} (nothing to process)`,
    );
  }
  const pads = hmacKeyPads(options.tokenizationKey ?? (await resolveTokenizationKey(config, events)));

  const stageDir = join(silverStagingRoot(lake), `${safeName(runId)}-${randomUUID().slice(0, 8)}`);
  await mkdir(stageDir, { recursive: true });
  const database = await openSilverDatabase(config, join(stageDir, 'spill'));
  try {
    const session = new SilverSession(database.connection, events);
    await session.run('setup-session', {
      mcc_seed: join(config.projectDir, 'seeds', 'mcc_codes.csv'),
      fx_seed: join(config.projectDir, 'seeds', 'fx_rates.csv'),
      source_files: bronze.files.map((file) => file.sourceFile),
      batch_columns: { kind: 'sql', text: batchRowColumns() },
      hmac_inner: { kind: 'blob', bytes: pads.inner },
      hmac_outer: { kind: 'blob', bytes: pads.outer },
    });
    await readBronzeBatch(session, bronze.files, { config, ingestDate, runId });
    await session.run('classify-versions', { index_source: await silverIndexSource(lake) });
    await session.timed(
      'memory',
      () =>
        session.rows<{ tag: string; mb: number }>(
          'SELECT tag, round(memory_usage_bytes / 1e6) AS mb FROM duckdb_memory() WHERE memory_usage_bytes > 0',
        ),
      (memory) => JSON.stringify(memory),
    );
    const writes = await planPartitionWrites(lake, await readTouchedPartitions(session));
    const touchedPartitions = writes.map((write) => write.partition);

    const { ledger, silverSteps, steps } = await stageWrites(session, database, {
      lake,
      ingestDate,
      runId,
      stageDir,
      writes,
      files: bronze.files.map((file) => file.sourceFile),
    });
    await session.timed('commit', () => commitJournal(stageDir, { runId, steps }, options.commitHooks));

    const entities = await session.timed('entity snapshots', async () => {
      const snapshots = await runEntitySnapshots({
        db: session.db,
        lake,
        ingestDate,
        stageRoot: stageDir,
      });
      await rm(stageDir, { recursive: true, force: true });
      return snapshots;
    });
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
    if (!existsSync(join(stageDir, JOURNAL_FILE))) await rm(stageDir, { recursive: true, force: true });
    throw error;
  } finally {
    database.close();
  }
}

/**
 * Writes everything a run commits under its staging folder — the version index entry, the quarantine file,
 * the balanced ledger entry, the new partition files — and returns the journal steps that move them in.
 */
async function stageWrites(
  session: SilverSession,
  database: SilverDatabase,
  context: {
    lake: LakeLayout;
    ingestDate: IsoDate;
    runId: string;
    stageDir: string;
    writes: PartitionWrite[];
    /** The bronze files read, relative to the lake root. */
    files: string[];
  },
): Promise<{ ledger: LedgerEntry; silverSteps: JournalStep[]; steps: JournalStep[] }> {
  const { lake, ingestDate, runId, stageDir, writes } = context;
  const touchedPartitions = writes.map((write) => write.partition);
  const stage = {
    silver: join(stageDir, 'silver'),
    rewrite: join(stageDir, 'rewrite'),
    index: join(stageDir, 'index.parquet'),
    quarantine: join(stageDir, 'quarantine.parquet'),
    ledger: join(stageDir, 'ledger.json'),
  };
  await session.run('write-index', { index_stage: stage.index, quarantine_stage: stage.quarantine });
  const ledger = await buildLedgerEntry(session, {
    runId,
    ingestDate,
    files: context.files,
    touchedPartitions,
  });
  assertLedgerBalanced(ledger);
  await writeFile(stage.ledger, `${JSON.stringify(ledger, null, 2)}\n`);
  // Last, as it drops every table but the winners first (write-silver.sql): the largest write gets the memory.
  await session.run('write-silver', { silver_stage: stage.silver, ingest_date: ingestDate });

  const silverSteps = await session.timed(
    'partition steps',
    async () => {
      const rewriters = [session.db, await database.connect()];
      return partitionSteps(rewriters, stage, writes, deltaFileName(ingestDate, basename(stageDir))).finally(
        () => rewriters[1]!.closeSync(),
      );
    },
    () => describeWrites(writes),
  );
  const steps: JournalStep[] = [
    ...silverSteps,
    {
      kind: 'move',
      from: stage.index,
      to: join(silverIndexDir(lake), `ingest_date=${ingestDate}.parquet`),
    },
    { kind: 'move', from: stage.quarantine, to: join(lake.quarantinePartition(ingestDate), DATA_FILE) },
    { kind: 'move', from: stage.ledger, to: ledgerPath(lake, ingestDate, runId) },
  ];
  return { ledger, silverSteps, steps };
}

function describeWrites(writes: PartitionWrite[]): string {
  const rewrites = writes.filter((write) => write.mode === 'rewrite');
  const merged = rewrites.flatMap((write) => write.files).length;
  return `${rewrites.length} partitions rewritten (${merged} files merged), ${writes.length - rewrites.length} added to`;
}

function safeName(runId: string): string {
  return runId.replace(/[^A-Za-z0-9_.-]/g, '_');
}
