/**
 * Every expectation a suite may use, under its Great Expectations name, with the arguments it takes (zod
 * schemas, strict: an argument that is not listed is refused) and how it is measured:
 * - `map`: a predicate per row; unexpected rows are counted, `mostly` is the fraction that must pass, and the
 *   failing rows are the sample (GX's column map expectations);
 * - `aggregate`: one statistic of the rows (row count, mean, distinct values);
 * - `relative`: a statistic of the batch against the same statistic over the trailing days' results;
 * - `ledger`: read from the run's ledger entry, not from silver (the quarantine rate).
 */
import { z } from 'zod';

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const column = z.string().min(1);
const mostly = z.number().min(0).max(1);
const rowCondition = z.string().min(1);
const bound = z.union([z.number(), z.string().min(1)]);

/** A value set read from the latest snapshot of an entity dataset on or before the batch's date. */
export const referenceValueSet = z
  .object({ from_dataset: z.enum(['customers', 'cards', 'merchants']), column })
  .strict();
export type ReferenceValueSet = z.infer<typeof referenceValueSet>;

const between = {
  min_value: bound.optional(),
  max_value: bound.optional(),
  strict_min: z.boolean().optional(),
  strict_max: z.boolean().optional(),
};

const trailing = {
  /** How many ingest dates before the batch's make up the history. */
  trailing_days: z.number().int().min(1).max(366).default(7),
  /** Fewer trailing days with results than this: the expectation is not evaluated (success null). */
  min_history_days: z.number().int().min(1).max(366).default(3),
};

const ratioRange = { min_ratio: z.number().min(0).optional(), max_ratio: z.number().min(0).optional() };

const hasABound = (kwargs: { min_value?: unknown; max_value?: unknown }) =>
  kwargs.min_value !== undefined || kwargs.max_value !== undefined;
const hasARatio = (kwargs: { min_ratio?: unknown; max_ratio?: unknown }) =>
  kwargs.min_ratio !== undefined || kwargs.max_ratio !== undefined;
const boundMessage = { message: 'needs min_value, max_value or both' };
const ratioMessage = { message: 'needs min_ratio, max_ratio or both' };

export type ExpectationKind = 'map' | 'aggregate' | 'relative' | 'ledger';

interface CatalogEntry<Schema extends z.ZodType> {
  kind: ExpectationKind;
  kwargs: Schema;
  /** One line for data docs and `--help`-like listings. */
  describes: string;
}

function entry<Schema extends z.ZodType>(
  kind: ExpectationKind,
  kwargs: Schema,
  describes: string,
): CatalogEntry<Schema> {
  return { kind, kwargs, describes };
}

export const EXPECTATION_CATALOG = {
  expect_column_values_to_not_be_null: entry(
    'map',
    z.object({ column, mostly: mostly.optional(), row_condition: rowCondition.optional() }).strict(),
    'values are not null',
  ),
  expect_column_values_to_be_in_set: entry(
    'map',
    z
      .object({
        column,
        value_set: z.union([z.array(scalar).min(1), referenceValueSet]),
        mostly: mostly.optional(),
        row_condition: rowCondition.optional(),
      })
      .strict(),
    'values are in the set (a list, or {from_dataset, column}: the latest snapshot of an entity dataset)',
  ),
  expect_column_values_to_be_between: entry(
    'map',
    z
      .object({ column, ...between, mostly: mostly.optional(), row_condition: rowCondition.optional() })
      .strict()
      .refine(hasABound, boundMessage),
    'values are within [min_value, max_value]',
  ),
  expect_column_values_to_match_regex: entry(
    'map',
    z
      .object({
        column,
        regex: z.string().min(1),
        mostly: mostly.optional(),
        row_condition: rowCondition.optional(),
      })
      .strict(),
    'values contain a match of the regular expression (anchor it with ^…$ for a full match)',
  ),
  expect_column_values_to_be_unique: entry(
    'map',
    z.object({ column, mostly: mostly.optional(), row_condition: rowCondition.optional() }).strict(),
    'no value appears twice',
  ),
  expect_compound_columns_to_be_unique: entry(
    'map',
    z
      .object({
        column_list: z.array(column).min(2),
        mostly: mostly.optional(),
        row_condition: rowCondition.optional(),
      })
      .strict(),
    'no combination of the columns appears twice',
  ),
  expect_column_value_lengths_to_be_between: entry(
    'map',
    z
      .object({
        column,
        min_value: z.number().int().min(0).optional(),
        max_value: z.number().int().min(0).optional(),
        mostly: mostly.optional(),
        row_condition: rowCondition.optional(),
      })
      .strict()
      .refine(hasABound, boundMessage),
    'text lengths are within [min_value, max_value]',
  ),
  expect_column_pair_values_a_to_be_greater_than_b: entry(
    'map',
    z
      .object({
        column_A: column,
        column_B: column,
        or_equal: z.boolean().optional(),
        mostly: mostly.optional(),
        row_condition: rowCondition.optional(),
      })
      .strict(),
    'column_A > column_B (≥ with or_equal) where both are present',
  ),
  expect_table_row_count_to_be_between: entry(
    'aggregate',
    z
      .object({
        min_value: z.number().int().min(0).optional(),
        max_value: z.number().int().min(0).optional(),
        row_condition: rowCondition.optional(),
      })
      .strict()
      .refine(hasABound, boundMessage),
    'the number of rows is within [min_value, max_value]',
  ),
  expect_column_mean_to_be_between: entry(
    'aggregate',
    z
      .object({ column, ...between, row_condition: rowCondition.optional() })
      .strict()
      .refine(hasABound, boundMessage),
    'the mean of the values is within [min_value, max_value]',
  ),
  expect_column_proportion_of_unique_values_to_be_between: entry(
    'aggregate',
    z
      .object({
        column,
        min_value: z.number().min(0).max(1).optional(),
        max_value: z.number().min(0).max(1).optional(),
        strict_min: z.boolean().optional(),
        strict_max: z.boolean().optional(),
        row_condition: rowCondition.optional(),
      })
      .strict()
      .refine(hasABound, boundMessage),
    'distinct values / non-null values is within [min_value, max_value]',
  ),
  expect_column_distinct_values_to_be_in_set: entry(
    'aggregate',
    z.object({ column, value_set: z.array(scalar).min(1), row_condition: rowCondition.optional() }).strict(),
    'every distinct value is in the set',
  ),
  expect_table_row_count_to_be_within_ratio_of_trailing_median: entry(
    'relative',
    z
      .object({ ...trailing, ...ratioRange, row_condition: rowCondition.optional() })
      .strict()
      .refine(hasARatio, ratioMessage),
    'rows / median rows of the trailing days is within [min_ratio, max_ratio]',
  ),
  expect_column_mean_to_be_within_ratio_of_trailing_median: entry(
    'relative',
    z
      .object({ column, ...trailing, ...ratioRange, row_condition: rowCondition.optional() })
      .strict()
      .refine(hasARatio, ratioMessage),
    'mean / median of the trailing days’ means is within [min_ratio, max_ratio]',
  ),
  expect_column_value_shares_to_be_within_trailing_shares: entry(
    'relative',
    z
      .object({
        column,
        /** Share of this column's sum (an amount); without it, the share of rows. */
        weight_column: column.optional(),
        max_delta: z.number().min(0).max(1),
        /** Fewer rows in the batch than this: not evaluated (the shares of a small day are noise). */
        min_rows: z.number().int().min(0).optional(),
        ...trailing,
        row_condition: rowCondition.optional(),
      })
      .strict(),
    'each value’s share (of rows, or of weight_column) is within ±max_delta of its share over the trailing days',
  ),
  expect_quarantine_rate_to_be_between: entry(
    'ledger',
    z
      .object({
        min_value: z.number().min(0).max(1).optional(),
        max_value: z.number().min(0).max(1).optional(),
        /** Fewer bronze rows than this: not evaluated (one bad line in five is not a rate). */
        min_rows: z.number().int().min(0).optional(),
      })
      .strict()
      .refine(hasABound, boundMessage),
    'quarantined / bronze rows of the run’s ledger entry is within [min_value, max_value]',
  ),
} as const;

export type ExpectationType = keyof typeof EXPECTATION_CATALOG;
export const EXPECTATION_TYPES = Object.keys(EXPECTATION_CATALOG) as ExpectationType[];

export type KwargsOf<Type extends ExpectationType> = z.infer<(typeof EXPECTATION_CATALOG)[Type]['kwargs']>;

export function kindOf(type: ExpectationType): ExpectationKind {
  return EXPECTATION_CATALOG[type].kind;
}

/** The argument names an expectation accepts, for error messages. */
export function argumentsOf(type: ExpectationType): string[] {
  const schema = EXPECTATION_CATALOG[type].kwargs as unknown as { shape?: Record<string, unknown> };
  return Object.keys(schema.shape ?? {});
}
