/**
 * What the quality gate produces: one result per expectation (and per partition for per-partition ones), the
 * metrics later runs compare themselves with, and what was scanned. Plain JSON-serialisable data: it is stored
 * as is in the lake (table `_quality/results`), flattened into `audit.quality_results`, rendered as data docs.
 */
import type { IsoDate } from '../core/dates.ts';
import type { ExpectationType } from './expectation-catalog.ts';
import type { QualityDataset, Severity, SourceLocation } from './suite.ts';

/** JSON values only (results travel between processes and into the lake). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface ExpectationResult {
  suite: string;
  dataset: QualityDataset;
  /** Stable name of the expectation within its suite (Expectation.id). */
  expectationId: string;
  expectation: ExpectationType;
  /** The column(s) it reads, comma-separated; null for table-level expectations. */
  column: string | null;
  severity: Severity;
  /** The partition judged (`event_date=2025-03-01`) or the whole batch (`ingest_date=2025-03-01`). */
  partition: string;
  /** null: not evaluated (no history yet, no reference snapshot, no values). */
  success: boolean | null;
  /**
   * What was measured: the unexpected fraction (map expectations), the row count, the mean (decimal text),
   * the distinct values outside the set, the ratio to the trailing median, the shares that moved, the
   * quarantine rate.
   */
  observed: JsonValue;
  elementCount: number | null;
  unexpectedCount: number | null;
  /** unexpected / element count × 100, rounded to 4 decimals (a statistic, not money). */
  unexpectedPercent: number | null;
  /** One sentence: what was found against what is allowed. */
  details: string;
  /** At most 20 unexpected rows or values, filled only for failed expectations. */
  sample: { [key: string]: JsonValue }[];
  location: SourceLocation;
  kwargs: { [key: string]: JsonValue };
}

/** A statistic of one batch that later batches compare with (relative expectations). */
export type QualityMetric =
  | { kind: 'count'; value: number }
  /** sum as exact decimal text, count of non-null values. */
  | { kind: 'mean'; sum: string | null; count: number }
  /** value → weight (row count or sum, decimal text) and their total. */
  | { kind: 'shares'; weights: Record<string, string>; total: string };

export type QualityMetrics = Partial<Record<QualityDataset, Record<string, QualityMetric>>>;

/** The metrics of one earlier ingest date whose gate passed or was accepted. */
export interface QualityHistoryDay {
  ingestDate: IsoDate;
  runId: string;
  metrics: QualityMetrics;
}

export interface DatasetScan {
  dataset: QualityDataset;
  /** `checked`: the suite ran; `absent`: the date has no silver rows of this dataset (a feed without it). */
  status: 'checked' | 'absent';
  files: number;
  rows: number;
}

/** The silver batch a gate judged: what the load of a released hold must bring into the warehouse. */
export interface QualityBatch {
  /** The transaction files holding the batch's rows, as lake keys (relative to the lake root). */
  transactionFiles: string[];
  /** The event dates of those rows. */
  eventDates: IsoDate[];
  /** `written`: a run whose silver commit wrote files; `index`: only found through the version index. */
  source: 'written' | 'index';
}

export interface QualityGateResult {
  runId: string;
  ingestDate: IsoDate;
  evaluatedAt: string;
  /** failed: at least one error-severity expectation failed (or could not be evaluated against a bad suite). */
  outcome: 'passed' | 'failed';
  results: ExpectationResult[];
  metrics: QualityMetrics;
  datasets: DatasetScan[];
  batch: QualityBatch;
  /** Statements sent to DuckDB: `scans` aggregate queries (one per dataset present), `samples` second queries. */
  queries: { scans: number; samples: number; total: number };
  seconds: number;
  cpuSeconds: number;
}

/** Failed expectations of a result, error severity first. */
export function failedResults(result: Pick<QualityGateResult, 'results'>): ExpectationResult[] {
  return result.results
    .filter((expectation) => expectation.success === false)
    .sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
}
