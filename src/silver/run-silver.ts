/**
 * One silver run for one ingest date: bronze transactions → contract check, tokenization, enrichment →
 * deduplicate/supersede against the version index → rewrite only the touched silver partitions, the
 * quarantine and the ledger, with the entity snapshots of the same ingest date, all published by one commit of
 * the lake (silver-commit.ts). DuckDB works on local files: the bronze partition and the index (and the
 * partitions it rewrites) are read in place from a local lake or through the cache of a remote one, and what it
 * writes goes to a work folder first. Each step is reported to `events`.
 *
 * @example
 *   const result = await runSilver({ config, lake, ingestDate: '2025-03-01', runId: 'run-1' });
 *   result.ledger.inserted; result.touchedEventDates; result.touchedPartitions;
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/load-config.ts';
import type { IsoDate } from '../core/dates.ts';
import { PipelineError } from '../core/errors.ts';
import { abortedOr } from '../core/interrupt-on-abort.ts';
import { type EventSink, NO_EVENTS } from '../core/pipeline-event.ts';
import type { TableSnapshot } from '../lake/commit-log/table-snapshot.ts';
import type { Lake } from '../lake/lake.ts';
import {
  baseName,
  ENTITY_DATASETS,
  LEDGER_TABLE,
  partitionFolder,
  QUARANTINE_TABLE,
  SILVER_INDEX_TABLE,
  silverTable,
} from '../lake/lake-layout.ts';
import {
  assertNoRecordsLost,
  type BronzeFileEntry,
  describeBronzeFiles,
  fetchBronzeFiles,
} from './bronze-files.ts';
import { buildLedgerEntry } from './build-ledger-entry.ts';
import type { CheckedChunk } from './check-bronze-chunk.ts';
import { assignWholeFiles, checkSplit } from './check-share.ts';
import { type EntitySnapshotResult, stageEntitySnapshots } from './entity-snapshots.ts';
import { hmacKeyPads } from './hmac-key-pads.ts';
import {
  assertLedgerBalanced,
  isEntryOfRun,
  type LedgerEntry,
  ledgerEntryName,
  safeRunId,
} from './ledger-entry.ts';
import {
  type PartitionWrite,
  partitionFileNames,
  partitionOutcomes,
  planPartitionWrites,
  readTouchedPartitions,
  type SilverPartitionRef,
} from './partition-writes.ts';
import { readBronzeBatch } from './read-bronze-batch.ts';
import { setupSilverSession } from './setup-silver-session.ts';
import { type CommitHooks, commitSilverRun, type StagedObject } from './silver-commit.ts';
import { openSilverDatabase, type SilverDatabase } from './silver-database.ts';
import { silverIndexSource } from './silver-index.ts';
import { SilverSession } from './silver-session.ts';
import {
  LEDGER_DEFINITION,
  QUARANTINE_DEFINITION,
  SILVER_INDEX_DEFINITION,
  silverTableDefinition,
} from './silver-tables.ts';
import { resolveTokenizationKey } from './tokenization-key.ts';

export type { CommitHooks } from './silver-commit.ts';

export interface RunSilverOptions {
  config: ResolvedConfig;
  lake: Lake;
  ingestDate: IsoDate;
  runId: string;
  /** Where notices (a created tokenization key, a recovered run) and step timings go; default: nowhere. */
  events?: EventSink;
  /** Called around the upload and commit steps (crash tests); default: none. */
  commitHooks?: CommitHooks;
  /**
   * Aborted at the task's timeout or stop: the DuckDB statement running is interrupted, no step starts after,
   * and the run fails with the signal's reason. A commit already started finishes (its commit point decides).
   */
  signal?: AbortSignal;
  /** Overrides the tokenization key (tests); otherwise resolved from config `tokenization.key`. */
  tokenizationKey?: Buffer;
  /**
   * The staged results of the day's check jobs (check-bronze-chunk.ts), one per chunk, read in place of the
   * bronze files; default: the run reads and checks bronze itself.
   */
  checked?: readonly CheckedChunk[];
}

export interface SilverResult {
  ledger: LedgerEntry;
  /** Event dates whose partitions changed: what the warehouse must reload. */
  touchedEventDates: IsoDate[];
  touchedPartitions: SilverPartitionRef[];
  /**
   * The transaction files this run's commit put into silver (new base files and added files), as lake keys
   * (relative to the lake root): every row the run changed is in one of them (what the load task exposes as
   * the run's batch).
   */
  writtenFiles: string[];
  entities: EntitySnapshotResult[];
  /** Runs that had crashed after their commit point and were finished first. */
  recoveredRuns: string[];
  /** The versions the run's commit gave each table it changed. */
  versions: Record<string, number>;
}

export async function runSilver(options: RunSilverOptions): Promise<SilverResult> {
  const { lake } = options;
  // One writer at a time from classification to commit: the versions it classifies against must still be the
  // latest when it commits.
  try {
    return await lake.withWriterLease(
      () => runSilverUnderLease(options),
      options.signal ? { signal: options.signal } : {},
    );
  } catch (error) {
    throw abortedOr(options.signal, error);
  }
}

async function runSilverUnderLease(options: RunSilverOptions): Promise<SilverResult> {
  const { config, lake, ingestDate, runId } = options;
  const events = options.events ?? NO_EVENTS;
  const recoveredRuns = (await lake.recover()).map((recovered) => recovered.runId);
  for (const run of recoveredRuns) {
    events.emit({ kind: 'notice', message: `finished the interrupted silver commit of run ${run}` });
  }

  // With check jobs the bronze files are theirs to read: the commit needs only their names and counts.
  const bronze = await describeBronzeFiles(lake, 'transactions', ingestDate);
  if (!bronze) {
    throw new PipelineError(
      `no bronze transactions partition for ingest_date=${ingestDate} (nothing to process)`,
    );
  }
  const pads = hmacKeyPads(options.tokenizationKey ?? (await resolveTokenizationKey(config, events)));
  const runTag = `${safeRunId(runId)}-${randomUUID().slice(0, 8)}`;
  const workDir = await lake.scratch(`silver-${ingestDate}`);
  const database = await openSilverDatabase(config, join(workDir, 'spill'), options.signal);
  try {
    const snapshots = await lake.snapshots([
      silverTable('transactions'),
      SILVER_INDEX_TABLE,
      QUARANTINE_TABLE,
      LEDGER_TABLE,
      ...ENTITY_DATASETS.map(silverTable),
    ]);
    const snapshot = (table: string) => snapshots.get(table)!;
    const session = new SilverSession(database.connection, events, options.signal);
    await setupSilverSession(session, config, bronze.files, pads);
    if (options.checked) {
      await loadCheckedChunks(session, lake, bronze.files, options.checked);
    } else {
      const files = await fetchBronzeFiles(lake, bronze.files, options.signal);
      await readBronzeBatch(session, files, { config, ingestDate, runId });
    }
    await session.run('classify-versions', {
      index_source: await session.timed('index files', () =>
        silverIndexSource(lake, snapshot(SILVER_INDEX_TABLE)),
      ),
    });
    await session.timed(
      'memory',
      () =>
        session.rows<{ tag: string; mb: number }>(
          'SELECT tag, round(memory_usage_bytes / 1e6) AS mb FROM duckdb_memory() WHERE memory_usage_bytes > 0',
        ),
      (memory) => JSON.stringify(memory),
    );
    const writes = planPartitionWrites(
      snapshot(silverTable('transactions')),
      await readTouchedPartitions(session),
    );
    const touchedPartitions = writes.map((write) => write.partition);

    const staged = await stageWrites(session, database, {
      lake,
      ingestDate,
      runId,
      runTag,
      workDir,
      writes,
      snapshot,
      files: bronze.files.map((file) => file.sourceFile),
    });
    const { versions } = await session.timed(
      'commit',
      () =>
        commitSilverRun(
          lake,
          {
            runId,
            staged: staged.objects,
            removed: staged.removed,
            tables: [
              silverTableDefinition('transactions'),
              SILVER_INDEX_DEFINITION,
              QUARANTINE_DEFINITION,
              LEDGER_DEFINITION,
              ...ENTITY_DATASETS.map((dataset) => silverTableDefinition(dataset)),
            ],
          },
          options.commitHooks,
        ),
      () => `${staged.objects.length} objects uploaded`,
    );
    return {
      ledger: staged.ledger,
      touchedEventDates: [...new Set(touchedPartitions.map((partition) => partition.eventDate))],
      touchedPartitions,
      writtenFiles: staged.objects
        .filter((object) => object.definition.table === silverTable('transactions'))
        .map((object) => object.key),
      entities: staged.entities,
      recoveredRuns,
      versions,
    };
  } finally {
    database.close();
    // Uploaded files were moved out; what is left is spill and intermediate files.
    await lake.releaseScratch(workDir);
  }
}

/**
 * The check jobs' staged rows into the session's batch tables, after checking they are every chunk of this
 * partition once, that each read exactly its share of the files (check-share.ts: its whole files, or every file
 * when split by records), and that each file yielded, over the jobs that read it, at least the records its
 * manifest counted.
 */
const SPLIT_NAMES: Record<string, string> = { files: 'whole files', records: 'interleaved records' };

async function loadCheckedChunks(
  session: SilverSession,
  lake: Lake,
  files: readonly BronzeFileEntry[],
  checked: readonly CheckedChunk[],
): Promise<void> {
  const of = checked[0]?.chunk.of ?? 0;
  const byIndex = [...checked].sort((a, b) => a.chunk.index - b.chunk.index);
  if (
    checked.some((each) => each.chunk.of !== of) ||
    byIndex.length !== of ||
    byIndex.some((each, position) => each.chunk.index !== position)
  ) {
    throw new PipelineError(
      `silver check results are not every chunk once (chunks ${checked.map((each) => `${each.chunk.index + 1}/${each.chunk.of}`).join(', ')})`,
    );
  }
  const split = checkSplit(files.length, of);
  const shares = split === 'files' ? assignWholeFiles(files, of) : byIndex.map(() => files);
  for (const each of byIndex) {
    const job = `silver check result ${each.chunk.index + 1}/${of}`;
    if (each.split !== split) {
      throw new PipelineError(
        `${job} took ${SPLIT_NAMES[each.split] ?? 'an unknown share'} where ${files.length} bronze files over ${of} jobs call for ${SPLIT_NAMES[split]}`,
      );
    }
    const share = shares[each.chunk.index]!.map((file) => file.sourceFile);
    const read = Object.keys(each.parsed);
    if (read.length !== share.length || share.some((file) => !Object.hasOwn(each.parsed, file))) {
      throw new PipelineError(
        `${job} read bronze files [${read.join(', ')}] where its share is [${share.join(', ')}]`,
      );
    }
  }
  for (const file of files) {
    const counted = byIndex.map((each) => each.parsed[file.sourceFile] ?? 0);
    assertNoRecordsLost(
      file,
      counted.reduce((sum, count) => sum + count, 0),
    );
  }
  const paths = await session.timed('checked files', () =>
    lake.localPaths(checked.flatMap((each) => [{ key: each.batchKey }, { key: each.quarantineKey }])),
  );
  await session.run('load-checks', {
    batch_files: paths.filter((_, position) => position % 2 === 0),
    quarantine_files: paths.filter((_, position) => position % 2 === 1),
  });
}

interface StagedRun {
  ledger: LedgerEntry;
  entities: EntitySnapshotResult[];
  objects: StagedObject[];
  removed: Map<string, string[]>;
}

/**
 * Writes everything a run commits into its work folder — the version index entry, the quarantine file, the
 * balanced ledger entry, the new partition files, the entity snapshots — and says where each goes and which live
 * files it replaces.
 */
async function stageWrites(
  session: SilverSession,
  database: SilverDatabase,
  context: {
    lake: Lake;
    ingestDate: IsoDate;
    runId: string;
    runTag: string;
    workDir: string;
    writes: PartitionWrite[];
    snapshot: (table: string) => TableSnapshot;
    /** The bronze files read, as lake keys. */
    files: string[];
  },
): Promise<StagedRun> {
  const { lake, ingestDate, runId, runTag, workDir, writes, snapshot } = context;
  const touchedPartitions = writes.map((write) => write.partition);
  const stage = {
    silver: join(workDir, 'silver'),
    rewrite: join(workDir, 'rewrite'),
    index: join(workDir, 'index.parquet'),
    quarantine: join(workDir, 'quarantine.parquet'),
    ledger: join(workDir, 'ledger.json'),
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

  const outcomes = await session.timed(
    'partition rewrites',
    async () => {
      const rewriters = [session.db, await database.connect()];
      return partitionOutcomes(rewriters, stage, writes, partitionFileNames(ingestDate, runTag), (files) =>
        lake.localPaths(files),
      ).finally(() => rewriters[1]!.closeSync());
    },
    () => describeWrites(writes),
  );
  const entities = await session.timed('entity snapshots', () =>
    stageEntitySnapshots({ db: session.db, lake, ingestDate, workDir }),
  );

  const byIngestDate = { ingest_date: ingestDate };
  const dateFolder = partitionFolder(byIngestDate);
  const transactions = silverTableDefinition('transactions');
  const objects: StagedObject[] = [];
  const removed = new Map<string, string[]>();
  for (const outcome of outcomes) {
    const partitionValues = {
      event_date: outcome.partition.eventDate,
      merchant_category: outcome.partition.merchantCategory,
    };
    if (outcome.add) {
      objects.push({
        definition: transactions,
        key: `${transactions.table}/${partitionFolder(partitionValues)}/${outcome.add.name}`,
        path: outcome.add.path,
        partitionValues,
      });
    }
    removed.set(transactions.table, [
      ...(removed.get(transactions.table) ?? []),
      ...outcome.remove.map((file) => file.key),
    ]);
  }
  // The index entry and the quarantine file of the date replace the ones an earlier run of it wrote.
  for (const [definition, path, name] of [
    [SILVER_INDEX_DEFINITION, stage.index, `index-${runTag}.parquet`],
    [QUARANTINE_DEFINITION, stage.quarantine, `quarantine-${runTag}.parquet`],
  ] as const) {
    objects.push({
      definition,
      key: `${definition.table}/${dateFolder}/${name}`,
      path,
      partitionValues: byIngestDate,
    });
    removed.set(
      definition.table,
      snapshot(definition.table)
        .files(byIngestDate)
        .map((file) => file.key),
    );
  }
  // One entry per run and date: a retried run replaces its own earlier entry, other runs' entries stay.
  objects.push({
    definition: LEDGER_DEFINITION,
    key: `${LEDGER_DEFINITION.table}/${dateFolder}/${ledgerEntryName(runId, runTag.slice(-8))}`,
    path: stage.ledger,
    partitionValues: byIngestDate,
  });
  removed.set(
    LEDGER_TABLE,
    snapshot(LEDGER_TABLE)
      .files(byIngestDate)
      .filter((file) => isEntryOfRun(baseName(file.key), runId))
      .map((file) => file.key),
  );
  for (const entity of entities) {
    const definition = silverTableDefinition(entity.dataset);
    const partitionValues = { snapshot_date: ingestDate };
    objects.push({
      definition,
      key: `${definition.table}/${partitionFolder(partitionValues)}/data-${runTag}.parquet`,
      path: entity.path,
      partitionValues,
      numRecords: entity.rows,
    });
    removed.set(
      definition.table,
      snapshot(definition.table)
        .files(partitionValues)
        .map((file) => file.key),
    );
  }
  return {
    ledger,
    entities: entities.map(({ path: _path, ...result }) => result),
    objects,
    removed,
  };
}

function describeWrites(writes: PartitionWrite[]): string {
  const rewrites = writes.filter((write) => write.mode === 'rewrite');
  const merged = rewrites.flatMap((write) => write.files).length;
  return `${rewrites.length} partitions rewritten (${merged} files merged), ${writes.length - rewrites.length} added to`;
}
