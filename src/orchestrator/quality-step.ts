/**
 * The `quality` task of the daily run, between silver and load: runs the gate on the run's silver batch,
 * records its results (lake JSON + `audit.quality_results`) and decides what the load may take:
 * - passed (or failed and accepted by the operator): the load goes on; when the date was held before, the
 *   hold is released and the load takes the date's whole batch, which no earlier load brought in;
 * - failed: the date is held (lake record + `audit.quality_holds`, which the models' silver relations exclude),
 *   and the run stops before load. Silver keeps the new partitions; the next run of the date re-validates.
 * A gate that cannot judge the batch (a suite naming an unknown column, a scan that fails) holds it too.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/load-config.ts';
import type { IsoDate } from '../core/dates.ts';
import { UsageError } from '../core/errors.ts';
import { redact } from '../core/redact.ts';
import { newRunId } from '../core/run-id.ts';
import type { LakeLayout } from '../lake/lake-layout.ts';
import type { LedgerCounts } from '../quality/evaluate-suite.ts';
import { readHold, syncHoldsToWarehouse, writeHold } from '../quality/quality-holds.ts';
import { failedResults, type QualityGateResult } from '../quality/quality-result.ts';
import { readQualityHistory, writeQualityRecord } from '../quality/quality-results-store.ts';
import { recordQualityResults } from '../quality/record-quality-results.ts';
import { runQualityGate } from '../quality/run-quality-gate.ts';
import type { Suite } from '../quality/suite.ts';
import type { LedgerEntry } from '../silver/ledger-entry.ts';
import { silverIndexDir } from '../silver/silver-index.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';

export interface QualityStepInput {
  config: ResolvedConfig;
  lake: LakeLayout;
  warehouse: Warehouse;
  ingestDate: IsoDate;
  runId: string;
  suites: Suite[];
  /** The run's silver result: its written files, touched event dates and ledger entry. */
  silver: { writtenFiles: string[]; touchedEventDates: IsoDate[]; ledger?: LedgerCounts };
  /** Load even when error expectations fail (`run --accept-quality-failures`); recorded on the run. */
  acceptFailures: boolean;
}

export interface QualityStepResult {
  gate: QualityGateResult;
  /** Error expectations failed and the operator accepted them. */
  accepted: boolean;
  /** The date is held by this run: the load must not happen. */
  held: boolean;
  /** The date was held and this run releases it: the load takes its whole batch. */
  releasing: boolean;
  /** What the load and models take: the run's own changes, or the whole batch of a released date. */
  load: { touchedEventDates: IsoDate[]; writtenFiles: string[] };
}

/** Trailing days the suites compare with, so the history read covers the longest window. */
function trailingDays(suites: Suite[]): number {
  const days = suites.flatMap((suite) =>
    suite.expectations.map(
      (expectation) => (expectation.kwargs as { trailing_days?: number }).trailing_days ?? 0,
    ),
  );
  return Math.max(0, ...days);
}

export async function runQualityStep(input: QualityStepInput): Promise<QualityStepResult> {
  const { lake, warehouse, ingestDate, runId } = input;
  const previousHold = readHold(lake, ingestDate);
  let gate: QualityGateResult;
  try {
    gate = await runQualityGate({
      lakeRoot: lake.root,
      ingestDate,
      runId,
      suites: input.suites,
      writtenFiles: input.silver.writtenFiles,
      transactionIndex: join(silverIndexDir(lake), `ingest_date=${ingestDate}.parquet`),
      ledger: input.silver.ledger,
      history: readQualityHistory(lake, ingestDate, trailingDays(input.suites)),
      duckdb: {
        memoryLimit: input.config.silver.memory_limit,
        threads: input.config.silver.threads,
        tempDirectory: spillFolder(input.config, lake),
      },
    });
  } catch (error) {
    // A batch the gate could not judge is not fit for the marts either.
    await writeHold(lake, {
      ingest_date: ingestDate,
      status: 'held',
      run_id: runId,
      held_at: new Date().toISOString(),
      reasons: [`the quality gate could not run: ${redact((error as Error).message)}`],
    });
    await syncHoldsToWarehouse(warehouse, lake);
    throw error;
  }

  const failed = gate.outcome === 'failed';
  const accepted = failed && input.acceptFailures;
  const record = { ...gate, accepted };
  await writeQualityRecord(lake, record);
  await recordQualityResults(warehouse, record);

  if (failed && !accepted) {
    await writeHold(lake, {
      ingest_date: ingestDate,
      status: 'held',
      run_id: runId,
      held_at: new Date().toISOString(),
      reasons: failedResults(gate)
        .filter((result) => result.severity === 'error')
        .map(
          (result) => `${result.dataset} ${result.expectationId} [${result.partition}]: ${result.details}`,
        ),
    });
    await syncHoldsToWarehouse(warehouse, lake);
    return {
      gate,
      accepted,
      held: true,
      releasing: false,
      load: { touchedEventDates: [], writtenFiles: [] },
    };
  }
  if (previousHold) {
    await writeHold(lake, {
      ...previousHold,
      status: 'released',
      released_by_run: runId,
      released_at: new Date().toISOString(),
      accepted,
    });
    await syncHoldsToWarehouse(warehouse, lake);
    return {
      gate,
      accepted,
      held: false,
      releasing: true,
      load: {
        touchedEventDates: [
          ...new Set([...input.silver.touchedEventDates, ...gate.batch.eventDates]),
        ].sort() as IsoDate[],
        writtenFiles: [...new Set([...input.silver.writtenFiles, ...gate.batch.transactionFiles])],
      },
    };
  }
  await syncHoldsToWarehouse(warehouse, lake);
  return {
    gate,
    accepted,
    held: false,
    releasing: false,
    load: { touchedEventDates: input.silver.touchedEventDates, writtenFiles: input.silver.writtenFiles },
  };
}

/** One line for the run summary: counts, and each failed expectation with what it observed. */
export function qualitySummary(step: QualityStepResult): string {
  const { gate } = step;
  const failed = failedResults(gate);
  const errors = failed.filter((result) => result.severity === 'error');
  const warnings = failed.filter((result) => result.severity === 'warn');
  const skipped = gate.results.filter((result) => result.success === null).length;
  const datasets = gate.datasets
    .filter((dataset) => dataset.status === 'checked')
    .map((dataset) => `${dataset.dataset} ${dataset.rows}`)
    .join(', ');
  const head =
    `${gate.results.length - failed.length - skipped} of ${gate.results.length} expectation results passed` +
    (skipped ? `, ${skipped} not evaluated` : '') +
    (warnings.length ? `, ${warnings.length} warned` : '') +
    ` (rows: ${datasets || 'none'}; ${gate.queries.scans} scans)`;
  if (errors.length === 0) return head;
  const listed = errors
    .map(
      (result) =>
        `${result.dataset} ${result.expectationId} [${result.partition}] observed ${JSON.stringify(result.observed)}`,
    )
    .join('; ');
  const decision = step.accepted
    ? 'accepted by the operator: loading anyway'
    : `ingest date ${gate.ingestDate} held: rerun it, or run --accept-quality-failures to load anyway`;
  return `${head}; ${errors.length} failed: ${listed}; ${decision}`;
}

/**
 * `fintech-etl quality --date D`: the gate on the silver of D as it stands, without recording anything or
 * touching a hold (the run's quality task is the recorded one). D's rows are found through its version index.
 */
export async function checkQuality(input: {
  config: ResolvedConfig;
  lake: LakeLayout;
  ingestDate: IsoDate;
  suites: Suite[];
}): Promise<QualityGateResult> {
  const { lake, ingestDate } = input;
  const ledger = latestLedgerEntry(lake, ingestDate);
  if (!ledger) {
    throw new UsageError(
      `ingest date ${ingestDate} has not been through silver (no ledger entry): run 'fintech-etl run --date ${ingestDate}' first`,
    );
  }
  return runQualityGate({
    lakeRoot: lake.root,
    ingestDate,
    runId: newRunId(`quality-${ingestDate}`),
    suites: input.suites,
    transactionIndex: join(silverIndexDir(lake), `ingest_date=${ingestDate}.parquet`),
    ledger,
    history: readQualityHistory(lake, ingestDate, trailingDays(input.suites)),
    duckdb: {
      memoryLimit: input.config.silver.memory_limit,
      threads: input.config.silver.threads,
      tempDirectory: spillFolder(input.config, lake),
    },
  });
}

/** Where the gate's DuckDB spills beyond its memory limit: silver's folder, else the lake's scratch space. */
function spillFolder(config: ResolvedConfig, lake: LakeLayout): string {
  return config.silver.temp_directory ?? join(lake.staging(), 'quality-spill');
}

/** The newest ledger entry of an ingest date (the last run's), if silver processed it. */
function latestLedgerEntry(lake: LakeLayout, ingestDate: IsoDate): LedgerCounts | undefined {
  const folder = join(lake.ledger(), 'transactions', `ingest_date=${ingestDate}`);
  if (!existsSync(folder)) return undefined;
  const entries = readdirSync(folder)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(folder, name), 'utf8')) as LedgerEntry)
    .sort((a, b) => a.processed_at.localeCompare(b.processed_at));
  return entries.at(-1);
}
