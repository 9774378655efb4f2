/**
 * The quality gate: runs the suites on the silver batch of one ingest date D, with DuckDB over the silver
 * files, and judges every expectation. Its input and output are plain data, so it can run as a task anywhere
 * (the orchestrator records the results and holds the date when it fails; `fintech-etl quality` only prints).
 *
 * Scope: the rows of ingest date D, never a scan of silver: the files of the partitions the version index of D
 * names, with the files the run's silver commit wrote. Entities: the snapshot of D. Every file is resolved
 * through the lake's committed snapshots and read from its local path (a local lake's file, or its cached copy
 * from an S3 lake), never found by listing folders. One aggregate query per dataset (compile-suite.ts), then one
 * query for the samples of the failed expectations.
 *
 * @example
 *   const result = await runQualityGate({ lake, ingestDate: '2025-03-01', runId, suites, history: [],
 *     writtenFiles: silver.writtenFiles, ledger: silver.ledger });
 *   result.outcome; // 'passed' | 'failed'
 */

import { mkdirSync } from 'node:fs';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { IsoDate } from '../core/dates.ts';
import { PipelineError } from '../core/errors.ts';
import { abortedOr, interruptOnAbort } from '../core/interrupt-on-abort.ts';
import type { LiveFile, TableSnapshot } from '../lake/commit-log/table-snapshot.ts';
import type { Lake, LakeObjectRef } from '../lake/lake.ts';
import { ENTITY_DATASETS, QUARANTINE_TABLE, SILVER_INDEX_TABLE, silverTable } from '../lake/lake-layout.ts';
import { compileSampleQuery, compileScan, type SampleRequest, type ScanInput } from './compile-suite.ts';
import { type EvaluationInput, evaluateSuite, type LedgerCounts } from './evaluate-suite.ts';
import { SuiteError } from './load-suites.ts';
import { DUCKDB_QUALITY_DIALECT } from './quality-dialect.ts';
import type {
  DatasetScan,
  ExpectationResult,
  JsonValue,
  QualityBatch,
  QualityGateResult,
  QualityHistoryDay,
  QualityMetrics,
} from './quality-result.ts';
import { columnsOf, DATASET_KEYS, type QualityDataset, type Suite } from './suite.ts';

export interface QualityGateInput {
  lake: Lake;
  ingestDate: IsoDate;
  runId: string;
  suites: Suite[];
  /** The transaction files the run's silver commit wrote, as lake keys (none outside a run). */
  writtenFiles?: string[];
  /** The run's ledger entry (quarantine rate); absent: ledger expectations are not evaluated. */
  ledger?: LedgerCounts;
  /** Metrics of earlier ingest dates whose gate passed or was accepted (quality-results-store.ts). */
  history: QualityHistoryDay[];
  duckdb?: { memoryLimit?: string; threads?: number; tempDirectory?: string };
  /** A task's timeout or stop: interrupts the gate's statements, which then fail with the signal's reason. */
  signal?: AbortSignal;
}

export async function runQualityGate(input: QualityGateInput): Promise<QualityGateResult> {
  const started = performance.now();
  const startedCpu = process.cpuUsage();
  const options: Record<string, string> = { preserve_insertion_order: 'false' };
  if (input.duckdb?.memoryLimit) options['memory_limit'] = input.duckdb.memoryLimit;
  if (input.duckdb?.threads) options['threads'] = String(input.duckdb.threads);
  if (input.duckdb?.tempDirectory) {
    mkdirSync(input.duckdb.tempDirectory, { recursive: true });
    options['temp_directory'] = input.duckdb.tempDirectory;
  }
  const instance = await DuckDBInstance.create(':memory:', options);
  const connection = await instance.connect();
  const interrupting = input.signal
    ? interruptOnAbort(input.signal, () => connection.interrupt())
    : undefined;
  const queries = { scans: 0, samples: 0, total: 0 };
  const run = async (sql: string, kind: 'scan' | 'sample' | 'other' = 'other') => {
    queries.total++;
    if (kind === 'scan') queries.scans++;
    if (kind === 'sample') queries.samples++;
    return rowsOf(connection, sql);
  };
  try {
    const lake = await committedSilver(input.lake);
    const batch = await transactionBatch(input, lake, run);
    const results: ExpectationResult[] = [];
    const metrics: QualityMetrics = {};
    const datasets: DatasetScan[] = [];
    const sampleParts: string[] = [];
    const scans: { suite: Suite; scan: ScanInput }[] = [];

    for (const suite of input.suites) {
      // Between statements too: an interrupt only reaches a statement that is running.
      input.signal?.throwIfAborted();
      const files =
        suite.dataset === 'transactions'
          ? batch.transactionFiles
          : entityFiles(lake, suite.dataset, input.ingestDate);
      const relation = await batchRelation(lake, suite.dataset, files, input.ingestDate);
      const references = await referencesOf(suite, lake, input.ingestDate);
      const scan: ScanInput = { suite, dialect: DUCKDB_QUALITY_DIALECT, batch: relation ?? '', references };
      let observations: EvaluationInput['observations'];
      if (relation) {
        await checkColumns(suite, relation, run);
        const compiled = compileScan(scan);
        const rows = await run(compiled.sql, 'scan').catch((error: Error) =>
          explainScanFailure(error, suite, relation, run),
        );
        observations = compiled.decode(rows);
        scans.push({ suite, scan });
      }
      datasets.push({
        dataset: suite.dataset,
        status: relation ? 'checked' : 'absent',
        files: files.length,
        rows: observations ? Number(observations.batch['fintech_rows'] ?? 0) : 0,
      });
      const evaluation = evaluateSuite({
        suite,
        observations,
        ingestDate: input.ingestDate,
        batchPartition: `${suite.dataset === 'transactions' ? 'ingest_date' : 'snapshot_date'}=${input.ingestDate}`,
        history: input.history,
        ledger: input.ledger,
        references: new Set(references.keys()),
      });
      results.push(...evaluation.results);
      metrics[suite.dataset] = evaluation.metrics;
    }

    for (const { suite, scan } of scans) {
      const requests = sampleRequests(suite, results);
      const query = compileSampleQuery({ ...scan, keyColumns: DATASET_KEYS[suite.dataset] }, requests);
      if (query)
        sampleParts.push(
          `select ${DUCKDB_QUALITY_DIALECT.quoteLiteral(suite.dataset)} as fintech_dataset, * from (${query})`,
        );
    }
    const quarantine = await quarantineSample(input, lake, results);
    if (quarantine) sampleParts.push(quarantine);
    input.signal?.throwIfAborted();
    if (sampleParts.length) {
      const samples = await run(sampleParts.map((part) => `(${part})`).join('\nunion all\n'), 'sample');
      attachSamples(input.suites, results, samples);
    }

    const outcome = results.some((result) => result.severity === 'error' && result.success === false)
      ? 'failed'
      : 'passed';
    const cpu = process.cpuUsage(startedCpu);
    return {
      runId: input.runId,
      ingestDate: input.ingestDate,
      evaluatedAt: new Date().toISOString(),
      outcome,
      results,
      metrics,
      datasets,
      batch,
      queries,
      seconds: (performance.now() - started) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  } catch (error) {
    throw abortedOr(input.signal, error);
  } finally {
    interrupting?.stop();
    connection.closeSync();
    instance.closeSync();
  }
}

type Run = (sql: string, kind?: 'scan' | 'sample' | 'other') => Promise<Record<string, unknown>[]>;

async function rowsOf(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const rows = (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([name, value]) => [name, typeof value === 'bigint' ? Number(value) : value]),
    ),
  );
}

/** The committed state of silver the gate reads, as one consistent set of snapshots, and how to read a file. */
interface CommittedSilver {
  lake: Lake;
  snapshot(table: string): TableSnapshot;
  /** Local paths DuckDB reads for lake keys (downloaded into the cache first from an S3 lake). */
  localPaths(keys: readonly string[]): Promise<string[]>;
}

async function committedSilver(lake: Lake): Promise<CommittedSilver> {
  const snapshots = await lake.snapshots([
    silverTable('transactions'),
    SILVER_INDEX_TABLE,
    QUARANTINE_TABLE,
    ...ENTITY_DATASETS.map(silverTable),
  ]);
  const snapshot = (table: string) => snapshots.get(table)!;
  const transactions = new Map<string, LiveFile>(
    snapshot(silverTable('transactions'))
      .files()
      .map((file) => [file.key, file]),
  );
  return {
    lake,
    snapshot,
    // The log's size of a silver file lets the cache check its copy without asking the store.
    localPaths: (keys) => lake.localPaths(keys.map((key): LakeObjectRef => transactions.get(key) ?? { key })),
  };
}

/**
 * D's transaction files: those of the partitions D's version index names (where each id of D has its newest
 * version of D), plus the files the run's silver commit wrote. The written files alone hold every row of a
 * first run of D, but not of a rerun, which rewrites only some partitions; the index finds them all. Files of
 * those partitions that hold no row of D cost a footer read: the ingest_date statistics skip their row groups.
 */
async function transactionBatch(
  input: QualityGateInput,
  lake: CommittedSilver,
  run: Run,
): Promise<QualityBatch> {
  const written = input.writtenFiles ?? [];
  const indexed: string[] = [];
  const indexFiles = lake.snapshot(SILVER_INDEX_TABLE).files({ ingest_date: input.ingestDate });
  if (indexFiles.length > 0) {
    const partitions = await run(
      `select distinct cast(event_date as varchar) as event_date, merchant_category from ${DUCKDB_QUALITY_DIALECT.readParquet(await input.lake.localPaths(indexFiles), false)}`,
    );
    const silver = lake.snapshot(silverTable('transactions'));
    for (const partition of partitions) {
      const files = silver.files({
        event_date: String(partition['event_date']),
        merchant_category: String(partition['merchant_category']),
      });
      indexed.push(...files.map((file) => file.key));
    }
  }
  const files = [...new Set([...indexed, ...written])].sort();
  return {
    transactionFiles: files,
    eventDates: eventDatesOf(files),
    source: written.length ? 'written' : 'index',
  };
}

function eventDatesOf(files: string[]): IsoDate[] {
  const dates = files.flatMap((file) => /event_date=(\d{4}-\d{2}-\d{2})/.exec(file)?.[1] ?? []);
  return [...new Set(dates)].sort() as IsoDate[];
}

function entityFiles(
  lake: CommittedSilver,
  dataset: Exclude<QualityDataset, 'transactions'>,
  date: IsoDate,
): string[] {
  return lake
    .snapshot(silverTable(dataset))
    .files({ snapshot_date: date })
    .map((file) => file.key);
}

/**
 * The SQL relation of the batch's rows, or undefined when the dataset has none for this date and never had
 * any (a feed without entity files). A batch of no files is an empty relation of silver's columns, so the
 * row count checks still run.
 */
async function batchRelation(
  lake: CommittedSilver,
  dataset: QualityDataset,
  files: string[],
  ingestDate: IsoDate,
): Promise<string | undefined> {
  const dialect = DUCKDB_QUALITY_DIALECT;
  if (dataset !== 'transactions') {
    return files.length
      ? dialect.readParquet(await lake.lake.localPaths(files.map((key) => ({ key }))), true)
      : undefined;
  }
  const ofTheDate = `ingest_date = cast(${dialect.quoteLiteral(ingestDate)} as date)`;
  if (files.length) {
    return `(select * from ${dialect.readParquet(await lake.localPaths(files), false)} where ${ofTheDate})`;
  }
  const anyFile = lake.snapshot(silverTable('transactions')).files()[0];
  return anyFile
    ? `(select * from ${dialect.readParquet(await lake.lake.localPaths([anyFile]), false)} where false)`
    : undefined;
}

/** The reference set of each in-set expectation that reads one: the latest snapshot on or before D. */
async function referencesOf(
  suite: Suite,
  lake: CommittedSilver,
  ingestDate: IsoDate,
): Promise<Map<number, string>> {
  const references = new Map<number, string>();
  for (const [index, expectation] of suite.expectations.entries()) {
    if (expectation.type !== 'expect_column_values_to_be_in_set') continue;
    const set = expectation.kwargs.value_set;
    if (Array.isArray(set)) continue;
    const snapshot = lake.snapshot(silverTable(set.from_dataset));
    const latest = snapshot
      .partitions()
      .map((values) => values['snapshot_date'])
      .filter((date): date is string => typeof date === 'string' && date <= ingestDate)
      .sort()
      .at(-1);
    if (!latest) continue;
    const files = snapshot.files({ snapshot_date: latest });
    if (files.length === 0) continue;
    const dialect = DUCKDB_QUALITY_DIALECT;
    references.set(
      index,
      `(select ${dialect.quoteIdentifier(set.column)} as ref_value from ${dialect.readParquet(await lake.lake.localPaths(files), true)})`,
    );
  }
  return references;
}

/** Every column a suite names must exist in the batch: else the suite is wrong (exit 2), naming the line. */
async function checkColumns(suite: Suite, relation: string, run: Run): Promise<void> {
  const described = await run(`describe select * from ${relation}`);
  const columns = described.map((row) => String(row['column_name']));
  const known = new Set(columns);
  const allowed = `allowed: ${columns.join(', ')}`;
  for (const name of suite.partitionBy) {
    if (!known.has(name)) {
      throw new SuiteError(
        `${suite.file}:1: partition_by column '${name}' is not a column of silver ${suite.dataset}; ${allowed}`,
      );
    }
  }
  for (const expectation of suite.expectations) {
    for (const name of columnsOf(expectation)) {
      if (!known.has(name)) {
        throw new SuiteError(
          `${expectation.location.file}:${expectation.location.line}: column '${name}' of ${expectation.type} is not a column of silver ${suite.dataset}; ${allowed}`,
        );
      }
    }
  }
}

/** A scan that DuckDB refuses is most likely a row_condition that does not parse or bind: find it and say so. */
async function explainScanFailure(error: Error, suite: Suite, relation: string, run: Run): Promise<never> {
  for (const expectation of suite.expectations) {
    const condition = (expectation.kwargs as { row_condition?: string }).row_condition;
    if (!condition) continue;
    try {
      await run(`select count(*) from ${relation} as b where (${condition}) limit 0`);
    } catch (conditionError) {
      throw new SuiteError(
        `${expectation.location.file}:${expectation.location.line}: row_condition '${condition}' of ${expectation.type} is not a SQL condition on silver ${suite.dataset}'s columns: ${(conditionError as Error).message.split('\n')[0]}`,
      );
    }
  }
  throw new PipelineError(`the quality scan of ${suite.dataset} failed: ${error.message.split('\n')[0]}`);
}

function sampleRequests(suite: Suite, results: ExpectationResult[]): SampleRequest[] {
  const requests: SampleRequest[] = [];
  suite.expectations.forEach((expectation, index) => {
    const failed = results.filter(
      (result) =>
        result.dataset === suite.dataset &&
        result.expectationId === expectation.id &&
        result.success === false,
    );
    if (failed.length === 0 || expectation.type === 'expect_quarantine_rate_to_be_between') return;
    requests.push({
      index,
      ...(expectation.perPartition ? { partitions: failed.map((result) => result.partition) } : {}),
    });
  });
  return requests;
}

/** The quarantined lines of D are the sample of a failed quarantine rate (masked raw records, no PAN). */
async function quarantineSample(
  input: QualityGateInput,
  lake: CommittedSilver,
  results: ExpectationResult[],
): Promise<string | undefined> {
  const failed = results.find(
    (result) => result.expectation === 'expect_quarantine_rate_to_be_between' && result.success === false,
  );
  if (!failed) return undefined;
  const suite = input.suites.find((candidate) => candidate.dataset === 'transactions');
  const index = suite?.expectations.findIndex((expectation) => expectation.id === failed.expectationId) ?? -1;
  const committed = lake.snapshot(QUARANTINE_TABLE).files({ ingest_date: input.ingestDate });
  if (index < 0 || committed.length === 0) return undefined;
  const files = await lake.lake.localPaths(committed);
  const dialect = DUCKDB_QUALITY_DIALECT;
  const sample = dialect.jsonObject({
    source_file: 'source_file',
    line: 'line',
    reason_codes: 'reason_codes',
    raw_record: 'raw_record',
  });
  return `select 'transactions' as fintech_dataset, ${index} as fintech_index, cast(null as varchar) as fintech_partition, ${sample} as fintech_sample from ${dialect.readParquet(files, true)} order by source_file, line limit 20`;
}

function attachSamples(suites: Suite[], results: ExpectationResult[], rows: Record<string, unknown>[]): void {
  for (const row of rows) {
    const dataset = String(row['fintech_dataset']);
    const expectation = suites.find((suite) => suite.dataset === dataset)?.expectations[
      Number(row['fintech_index'])
    ];
    const partition = row['fintech_partition'] as string | null;
    const target = results.find(
      (result) =>
        result.dataset === dataset &&
        result.expectationId === expectation?.id &&
        result.success === false &&
        (partition === null || result.partition === partition),
    );
    target?.sample.push(JSON.parse(String(row['fintech_sample'])) as { [key: string]: JsonValue });
  }
}
