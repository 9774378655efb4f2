/**
 * A loaded expectation suite: what `pipeline/suites/<dataset>.yml` says, validated, with where each
 * expectation was written (file and line) so results and errors point back to it. Plain data, so a suite can
 * be handed to a task on another machine as JSON.
 */
import type { ExpectationType, KwargsOf } from './expectation-catalog.ts';

export const QUALITY_DATASETS = ['transactions', 'customers', 'cards', 'merchants'] as const;
export type QualityDataset = (typeof QUALITY_DATASETS)[number];

/** `error` stops the load when the expectation fails; `warn` is recorded and the run goes on. */
export type Severity = 'error' | 'warn';

export interface SourceLocation {
  file: string;
  line: number;
}

interface ExpectationBase {
  /**
   * A name stable across runs while the suite keeps the expectation: the type and its columns (and row
   * condition), numbered when the same combination appears twice (`expect_column_values_to_not_be_null(city)`).
   */
  id: string;
  severity: Severity;
  /** Evaluated once per partition of the batch (the suite's `partition_by`) instead of once for the batch. */
  perPartition: boolean;
  /** Free notes carried to the data docs, as GX's `meta`. */
  meta: Record<string, unknown>;
  location: SourceLocation;
}

export type Expectation = {
  [Type in ExpectationType]: ExpectationBase & { type: Type; kwargs: KwargsOf<Type> };
}[ExpectationType];

export type ExpectationOf<Type extends ExpectationType> = Extract<Expectation, { type: Type }>;

export interface Suite {
  name: string;
  dataset: QualityDataset;
  /** Columns of a partition for expectations with `per_partition: true` (transactions: event_date). */
  partitionBy: string[];
  expectations: Expectation[];
  file: string;
}

/** The columns an expectation reads (checked against the dataset's columns before anything runs). */
export function columnsOf(expectation: Expectation): string[] {
  const kwargs = expectation.kwargs as Record<string, unknown>;
  const columns: string[] = [];
  for (const key of ['column', 'column_A', 'column_B', 'weight_column']) {
    if (typeof kwargs[key] === 'string') columns.push(kwargs[key] as string);
  }
  if (Array.isArray(kwargs['column_list'])) columns.push(...(kwargs['column_list'] as string[]));
  return columns;
}

/** The column that names a row of each dataset in unexpected-row samples. */
export const DATASET_KEYS: Record<QualityDataset, string[]> = {
  transactions: ['transaction_id'],
  customers: ['customer_id'],
  cards: ['card_id'],
  merchants: ['merchant_id'],
};
