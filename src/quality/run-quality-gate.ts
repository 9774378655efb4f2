/**
 * The quality gate: runs the suites on the silver batch of one ingest date D, with DuckDB over the silver
 * files, and judges every expectation. Its input and output are plain data, so it can run as a task anywhere
 * (the orchestrator records the results and holds the date when it fails; `fintech-etl quality` only prints).
 *
 * Scope: the rows of ingest date D, never a scan of silver: the files of the partitions the version index of D
 * names, with the files the run's silver commit wrote. Entities: the snapshot of D. One aggregate query per dataset
 * (compile-suite.ts), then one query for the samples of the failed expectations.
 *
 * @example
 *   const result = await runQualityGate({ lakeRoot, ingestDate: '2025-03-01', runId, suites, history: [],
 *     writtenFiles: silver.writtenFiles, transactionIndex, ledger: silver.ledger });
 *   result.outcome; // 'passed' | 'failed'
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { IsoDate } from '../core/dates.ts';
import { PipelineError } from '../core/errors.ts';
import { LakeLayout, silverPartitionPath } from '../lake/lake-layout.ts';
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
  lakeRoot: string;
  ingestDate: IsoDate;
  runId: string;
  suites: Suite[];
  /** The transaction files the run's silver commit wrote, relative to the lake root (none outside a run). */
  writtenFiles?: string[];
  /** The version index file of D (silver/_index/transactions/ingest_date=D.parquet). */
  transactionIndex: string;
  /** The run's ledger entry (quarantine rate); absent: ledger expectations are not evaluated. */
  ledger?: LedgerCounts;
  /** Metrics of earlier ingest dates whose gate passed or was accepted (quality-results-store.ts). */
  history: QualityHistoryDay[];
  duckdb?: { memoryLimit?: string; threads?: number; tempDirectory?: string };
}

export async function runQualityGate(input: QualityGateInput): Promise<QualityGateResult> {
  const started = performance.now();
  const startedCpu = process.cpuUsage();
  const lake = new LakeLayout(input.lakeRoot);
  const options: Record<string, string> = { preserve_insertion_order: 'false' };
  if (input.duckdb?.memoryLimit) options['memory_limit'] = input.duckdb.memoryLimit;
  if (input.duckdb?.threads) options['threads'] = String(input.duckdb.threads);
  if (input.duckdb?.tempDirectory) {
    mkdirSync(input.duckdb.tempDirectory, { recursive: true });
    options['temp_directory'] = input.duckdb.tempDirectory;
  }
  const instance = await DuckDBInstance.create(':memory:', options);
  const connection = await instance.connect();
  const queries = { scans: 0, samples: 0, total: 0 };
  const run = async (sql: string, kind: 'scan' | 'sample' | 'other' = 'other') => {
    queries.total++;
    if (kind === 'scan') queries.scans++;
    if (kind === 'sample') queries.samples++;
    return rowsOf(connection, sql);
  };
  try {
    const batch = await transactionBatch(input, lake, run);
    const results: ExpectationResult[] = [];
    const metrics: QualityMetrics = {};
    const datasets: DatasetScan[] = [];
    const sampleParts: string[] = [];
    const scans: { suite: Suite; scan: ScanInput }[] = [];

    for (const suite of input.suites) {
      const files =
        suite.dataset === 'transactions'
          ? batch.transactionFiles
          : entityFiles(lake, suite.dataset, input.ingestDate);
      const relation = await batchRelation(lake, suite.dataset, files, input.ingestDate);
      const references = referencesOf(suite, lake, input.ingestDate);
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
    const quarantine = quarantineSample(input, lake, results);
    if (quarantine) sampleParts.push(quarantine);
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
  } finally {
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

/**
 * D's transaction files: those of the partitions D's version index names (where each id of D has its newest
 * version of D), plus the files the run's silver commit wrote. The written files alone hold every row of a
 * first run of D, but not of a rerun, which rewrites only some partitions; the index finds them all. Files of
 * those partitions that hold no row of D cost a footer read: the ingest_date statistics skip their row groups.
 */
async function transactionBatch(input: QualityGateInput, lake: LakeLayout, run: Run): Promise<QualityBatch> {
  const toRelative = (file: string) => (isAbsolute(file) ? relative(lake.root, file) : file);
  const written = (input.writtenFiles ?? []).map(toRelative);
  const indexed: string[] = [];
  if (existsSync(input.transactionIndex)) {
    const partitions = await run(
      `select distinct cast(event_date as varchar) as event_date, merchant_category from read_parquet(${DUCKDB_QUALITY_DIALECT.quoteLiteral(input.transactionIndex)})`,
    );
    for (const partition of partitions) {
      const folder = join(
        lake.silverTransactions(),
        silverPartitionPath(partition['event_date'] as IsoDate, String(partition['merchant_category'])),
      );
      for (const name of parquetFiles(folder)) indexed.push(relative(lake.root, join(folder, name)));
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

function parquetFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => name.endsWith('.parquet'))
    .sort();
}

function entityFiles(
  lake: LakeLayout,
  dataset: Exclude<QualityDataset, 'transactions'>,
  date: IsoDate,
): string[] {
  const folder = lake.silverEntity(dataset, date);
  return parquetFiles(folder).map((name) => relative(lake.root, join(folder, name)));
}

/**
 * The SQL relation of the batch's rows, or undefined when the dataset has none for this date and never had
 * any (a feed without entity files). A batch of no files is an empty relation of silver's columns, so the
 * row count checks still run.
 */
async function batchRelation(
  lake: LakeLayout,
  dataset: QualityDataset,
  files: string[],
  ingestDate: IsoDate,
): Promise<string | undefined> {
  const dialect = DUCKDB_QUALITY_DIALECT;
  if (dataset !== 'transactions') {
    return files.length
      ? dialect.readParquet(
          files.map((file) => join(lake.root, file)),
          true,
        )
      : undefined;
  }
  const ofTheDate = `ingest_date = cast(${dialect.quoteLiteral(ingestDate)} as date)`;
  if (files.length) {
    return `(select * from ${dialect.readParquet(
      files.map((file) => join(lake.root, file)),
      false,
    )} where ${ofTheDate})`;
  }
  const anyFile = firstParquet(lake.silverTransactions());
  return anyFile ? `(select * from ${dialect.readParquet([anyFile], false)} where false)` : undefined;
}

function firstParquet(folder: string): string | undefined {
  if (!existsSync(folder)) return undefined;
  for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (entry.name.startsWith('_')) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      const found = firstParquet(path);
      if (found) return found;
    } else if (entry.name.endsWith('.parquet')) return path;
  }
  return undefined;
}

/** The reference set of each in-set expectation that reads one: the latest snapshot on or before D. */
function referencesOf(suite: Suite, lake: LakeLayout, ingestDate: IsoDate): Map<number, string> {
  const references = new Map<number, string>();
  suite.expectations.forEach((expectation, index) => {
    if (expectation.type !== 'expect_column_values_to_be_in_set') return;
    const set = expectation.kwargs.value_set;
    if (Array.isArray(set)) return;
    const base = lake.silverEntity(set.from_dataset);
    if (!existsSync(base)) return;
    const latest = readdirSync(base)
      .map((name) => /^snapshot_date=(\d{4}-\d{2}-\d{2})$/.exec(name)?.[1])
      .filter((date): date is string => date !== undefined && date <= ingestDate)
      .sort()
      .at(-1);
    if (!latest) return;
    const folder = lake.silverEntity(set.from_dataset, latest as IsoDate);
    const files = parquetFiles(folder).map((name) => join(folder, name));
    if (files.length === 0) return;
    const dialect = DUCKDB_QUALITY_DIALECT;
    references.set(
      index,
      `(select ${dialect.quoteIdentifier(set.column)} as ref_value from ${dialect.readParquet(files, true)})`,
    );
  });
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
function quarantineSample(
  input: QualityGateInput,
  lake: LakeLayout,
  results: ExpectationResult[],
): string | undefined {
  const failed = results.find(
    (result) => result.expectation === 'expect_quarantine_rate_to_be_between' && result.success === false,
  );
  if (!failed) return undefined;
  const suite = input.suites.find((candidate) => candidate.dataset === 'transactions');
  const index = suite?.expectations.findIndex((expectation) => expectation.id === failed.expectationId) ?? -1;
  const folder = lake.quarantinePartition(input.ingestDate);
  const files = parquetFiles(folder).map((name) => join(folder, name));
  if (index < 0 || files.length === 0) return undefined;
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
