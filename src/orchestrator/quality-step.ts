/**
 * The `quality` task of the daily run, between silver and load: runs the gate on the run's silver batch,
 * records its results (lake JSON + `audit.quality_results`) and decides what the load may take:
 * - passed (or failed and accepted by the operator): the load goes on; when the date was held before, the
 *   hold is released and the load takes the date's whole batch, which no earlier load brought in;
 * - failed: the date is held (lake record + `audit.quality_holds`, which the models' silver relations exclude),
 *   and the run stops before load. Silver keeps the new partitions; the next run of the date re-validates.
 * A gate that cannot judge the batch (a suite naming an unknown column, a scan that fails) holds it too.
 * The results record and the hold are lake objects published by one commit (src/quality/commit-quality-changes.ts).
 */
import type { ResolvedConfig } from '../config/load-config.ts';
import type { IsoDate } from '../core/dates.ts';
import { UsageError } from '../core/errors.ts';
import { redact } from '../core/redact.ts';
import { newRunId } from '../core/run-id.ts';
import type { Lake } from '../lake/lake.ts';
import { LEDGER_TABLE } from '../lake/lake-layout.ts';
import { commitQualityChanges } from '../quality/commit-quality-changes.ts';
import type { LedgerCounts } from '../quality/evaluate-suite.ts';
import { putHold, type QualityHold, readHold, syncHoldsToWarehouse } from '../quality/quality-holds.ts';
import { failedResults, type QualityGateResult } from '../quality/quality-result.ts';
import {
  putQualityRecord,
  readQualityHistory,
  readQualityRecords,
} from '../quality/quality-results-store.ts';
import { recordQualityResults } from '../quality/record-quality-results.ts';
import { type QualityGateInput, runQualityGate } from '../quality/run-quality-gate.ts';
import type { Suite } from '../quality/suite.ts';
import type { LedgerEntry } from '../silver/ledger-entry.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import { readSilverBacklog } from './silver-commits.ts';

export interface QualityStepInput {
  config: ResolvedConfig;
  lake: Lake;
  warehouse: Warehouse;
  ingestDate: IsoDate;
  runId: string;
  suites: Suite[];
  /** The run's silver result: its written files (lake keys), touched event dates and ledger entry. */
  silver: { writtenFiles: string[]; touchedEventDates: IsoDate[]; ledger?: LedgerCounts };
  /** Load even when error expectations fail (`run --accept-quality-failures`); recorded on the run. */
  acceptFailures: boolean;
  /**
   * The try's timeout or stop: interrupts the gate, and the step fails with its reason, holding nothing (the
   * batch was not judged badly; the retry judges it).
   */
  signal?: AbortSignal;
}

/** A date the step judged besides the run's own: silver a killed run committed, which no gate judged. */
export interface JudgedPendingDate {
  ingestDate: IsoDate;
  outcome: 'passed' | 'failed' | 'error';
  /** The gate holds the date now: the models leave its rows out until a rerun passes or an operator accepts. */
  held: boolean;
  error?: string;
}

export interface QualityStepResult {
  gate: QualityGateResult;
  /** Other dates whose silver the load is about to take unjudged, judged first (judgePendingDates). */
  pendingDates?: JudgedPendingDate[];
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
  const pending = await judgePendingDates(input);
  const result = await judgeRunBatch(input);
  if (pending.judged.length === 0) return result;
  return {
    ...result,
    pendingDates: pending.judged,
    load: {
      touchedEventDates: [
        ...new Set([...result.load.touchedEventDates, ...pending.load.touchedEventDates]),
      ].sort() as IsoDate[],
      writtenFiles: [...new Set([...result.load.writtenFiles, ...pending.load.writtenFiles])],
    },
  };
}

/**
 * The load takes every silver commit the warehouse lacks, also one a run killed between its silver commit and
 * its gate left behind (src/orchestrator/silver-commits.ts). So that no such batch reaches the warehouse
 * unjudged, each ingest date with a commit the warehouse lacks and no gate result since that commit is judged
 * first, as it stands (its rows found through the version index), and held when it fails, like the run's own
 * batch. The run goes on either way: a held date waits for a rerun or an operator, as after its own run.
 */
async function judgePendingDates(
  input: QualityStepInput,
): Promise<{ judged: JudgedPendingDate[]; load: QualityStepResult['load'] }> {
  const { unloaded } = await readSilverBacklog(input.warehouse, input.lake);
  const committedAt = new Map<IsoDate, string>();
  for (const commit of unloaded) {
    if (commit.ingestDate === input.ingestDate) continue;
    const latest = committedAt.get(commit.ingestDate);
    if (!latest || commit.committedAt > latest) committedAt.set(commit.ingestDate, commit.committedAt);
  }
  const judged: JudgedPendingDate[] = [];
  const load: QualityStepResult['load'] = { touchedEventDates: [], writtenFiles: [] };
  for (const [ingestDate, since] of [...committedAt].sort(([a], [b]) => a.localeCompare(b))) {
    const records = await readQualityRecords(input.lake, ingestDate);
    if (records.some((record) => record.evaluatedAt >= since)) continue;
    const eventDates = [
      ...new Set(
        unloaded.filter((commit) => commit.ingestDate === ingestDate).flatMap((commit) => commit.eventDates),
      ),
    ].sort() as IsoDate[];
    try {
      const step = await judgeRunBatch({
        ...input,
        ingestDate,
        silver: {
          writtenFiles: [],
          touchedEventDates: eventDates,
          ...withLedger(await latestLedgerEntry(input.lake, ingestDate)),
        },
        acceptFailures: false,
      });
      judged.push({ ingestDate, outcome: step.gate.outcome, held: step.held });
      if (step.releasing) {
        load.touchedEventDates.push(...step.load.touchedEventDates);
        load.writtenFiles.push(...step.load.writtenFiles);
      }
    } catch (error) {
      if (input.signal?.aborted) throw input.signal.reason;
      judged.push({ ingestDate, outcome: 'error', held: true, error: redact((error as Error).message) });
    }
  }
  return { judged, load };
}

function withLedger(ledger: LedgerCounts | undefined): { ledger?: LedgerCounts } {
  return ledger ? { ledger } : {};
}

async function judgeRunBatch(input: QualityStepInput): Promise<QualityStepResult> {
  const { lake, warehouse, ingestDate, runId } = input;
  const previousHold = await readHold(lake, ingestDate);
  let gate: QualityGateResult;
  try {
    gate = await runGate(input.config, lake, {
      ingestDate,
      runId,
      suites: input.suites,
      writtenFiles: input.silver.writtenFiles,
      ledger: input.silver.ledger,
      ...(input.signal ? { signal: input.signal } : {}),
    });
  } catch (error) {
    if (input.signal?.aborted) throw input.signal.reason;
    // A batch the gate could not judge is not fit for the marts either.
    const hold: QualityHold = {
      ingest_date: ingestDate,
      status: 'held',
      run_id: runId,
      held_at: new Date().toISOString(),
      reasons: [`the quality gate could not run: ${redact((error as Error).message)}`],
    };
    await commitQualityChanges(lake, runId, async () => [await putHold(lake, hold)]);
    await syncHoldsToWarehouse(warehouse, lake);
    throw error;
  }

  const failed = gate.outcome === 'failed';
  const accepted = failed && input.acceptFailures;
  const record = { ...gate, accepted };
  // The record, and the hold the outcome places or releases, in one commit.
  const hold: QualityHold | undefined =
    failed && !accepted
      ? {
          ingest_date: ingestDate,
          status: 'held',
          run_id: runId,
          held_at: new Date().toISOString(),
          reasons: failedResults(gate)
            .filter((result) => result.severity === 'error')
            .map(
              (result) =>
                `${result.dataset} ${result.expectationId} [${result.partition}]: ${result.details}`,
            ),
        }
      : previousHold && {
          ...previousHold,
          status: 'released',
          released_by_run: runId,
          released_at: new Date().toISOString(),
          accepted,
        };
  await commitQualityChanges(
    lake,
    runId,
    async () => [await putQualityRecord(lake, record), ...(hold ? [await putHold(lake, hold)] : [])],
    input.signal ? { signal: input.signal } : {},
  );
  await recordQualityResults(warehouse, record);

  if (failed && !accepted) {
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
  if (errors.length === 0) return `${head}${pendingSummary(step)}`;
  const listed = errors
    .map(
      (result) =>
        `${result.dataset} ${result.expectationId} [${result.partition}] observed ${JSON.stringify(result.observed)}`,
    )
    .join('; ');
  const decision = step.accepted
    ? 'accepted by the operator: loading anyway'
    : `ingest date ${gate.ingestDate} held: rerun it, or run --accept-quality-failures to load anyway`;
  return `${head}; ${errors.length} failed: ${listed}; ${decision}${pendingSummary(step)}`;
}

/** The dates a killed run left unjudged, as the summary names them. */
function pendingSummary(step: QualityStepResult): string {
  if (!step.pendingDates?.length) return '';
  const dates = step.pendingDates.map((date) =>
    date.held
      ? `${date.ingestDate} ${date.outcome === 'error' ? `could not be judged (${date.error})` : 'failed'} and is held: rerun it, or run it with --accept-quality-failures`
      : `${date.ingestDate} passed`,
  );
  return `; silver a killed run left unjudged: ${dates.join('; ')}`;
}

/**
 * `fintech-etl quality --date D`: the gate on the silver of D as it stands, without recording anything or
 * touching a hold (the run's quality task is the recorded one). D's rows are found through its version index.
 */
export async function checkQuality(input: {
  config: ResolvedConfig;
  lake: Lake;
  ingestDate: IsoDate;
  suites: Suite[];
}): Promise<QualityGateResult> {
  const { lake, ingestDate } = input;
  const ledger = await latestLedgerEntry(lake, ingestDate);
  if (!ledger) {
    throw new UsageError(
      `ingest date ${ingestDate} has not been through silver (no ledger entry): run 'fintech-etl run --date ${ingestDate}' first`,
    );
  }
  return runGate(input.config, lake, {
    ingestDate,
    runId: newRunId(`quality-${ingestDate}`),
    suites: input.suites,
    ledger,
  });
}

/**
 * The gate with the trailing days' metrics from the lake, spilling beyond its memory limit to silver's folder,
 * else a work folder of the lake's scratch space (never the working directory), removed afterwards.
 */
async function runGate(
  config: ResolvedConfig,
  lake: Lake,
  input: Omit<QualityGateInput, 'lake' | 'history' | 'duckdb'>,
): Promise<QualityGateResult> {
  const scratch = config.silver.temp_directory
    ? undefined
    : await lake.scratch(`quality-${input.ingestDate}`);
  try {
    return await runQualityGate({
      ...input,
      lake,
      history: await readQualityHistory(lake, input.ingestDate, trailingDays(input.suites)),
      duckdb: {
        memoryLimit: config.silver.memory_limit,
        threads: config.silver.threads,
        tempDirectory: config.silver.temp_directory ?? scratch!,
      },
    });
  } finally {
    if (scratch) await lake.releaseScratch(scratch);
  }
}

/** The newest committed ledger entry of an ingest date (the last run's), if silver processed it. */
async function latestLedgerEntry(lake: Lake, ingestDate: IsoDate): Promise<LedgerCounts | undefined> {
  const files = (await lake.snapshot(LEDGER_TABLE)).files({ ingest_date: ingestDate });
  const entries = await Promise.all(
    files.map(async (file) => JSON.parse((await lake.store.get(file.key)).toString('utf8')) as LedgerEntry),
  );
  return entries.sort((a, b) => a.processed_at.localeCompare(b.processed_at)).at(-1);
}
