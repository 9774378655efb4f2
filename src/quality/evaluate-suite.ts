/**
 * Judges a suite from what the scan measured (pure: no I/O). Each expectation yields a result for the batch, or
 * one per partition when it is per partition; relative expectations compare with the trailing days' metrics;
 * the quarantine rate comes from the ledger. Comparisons are exact (exact-ratio.ts); floats appear only in the
 * displayed percentages.
 */
import { daysBetween, type IsoDate } from '../core/dates.ts';
import { type Measures, measure, type ScanObservations } from './compile-suite.ts';
import {
  absRatio,
  addRatio,
  compareRatio,
  divideRatio,
  formatRatio,
  medianRatio,
  parseRatio,
  type Ratio,
  ratio,
  subtractRatio,
} from './exact-ratio.ts';
import type { ExpectationResult, JsonValue, QualityHistoryDay, QualityMetric } from './quality-result.ts';
import { columnsOf, type Expectation, type ExpectationOf, type Suite } from './suite.ts';

/** The ledger counts the quarantine rate is read from (src/silver/ledger-entry.ts). */
export interface LedgerCounts {
  bronze_rows: number;
  quarantined: number;
  quarantined_by_reason: Record<string, number>;
}

export interface EvaluationInput {
  suite: Suite;
  /** undefined: the date has no silver rows of this dataset; only ledger expectations are judged. */
  observations: ScanObservations | undefined;
  ingestDate: IsoDate;
  /** How the whole batch is named in results (`ingest_date=2025-03-01`). */
  batchPartition: string;
  /** Metrics of earlier ingest dates whose gate passed or was accepted (any order). */
  history: QualityHistoryDay[];
  ledger?: LedgerCounts;
  /** Indexes of in-set expectations whose reference snapshot exists. */
  references: Set<number>;
}

export interface Evaluation {
  results: ExpectationResult[];
  /** This batch's metrics under the keys relative expectations look them up by in later runs. */
  metrics: Record<string, QualityMetric>;
}

export function evaluateSuite(input: EvaluationInput): Evaluation {
  const { suite, observations } = input;
  const results: ExpectationResult[] = [];
  const metrics: Record<string, QualityMetric> = {};
  if (observations)
    metrics['row_count'] = { kind: 'count', value: count(observations.batch['fintech_rows']) };

  suite.expectations.forEach((expectation, index) => {
    const base = baseResult(suite, expectation);
    // each result gets its own sample list: the sample query fills them one by one
    const push = (partition: string, verdict: Verdict) =>
      results.push({ ...base, partition, ...verdict, sample: [] });
    if (expectation.type === 'expect_quarantine_rate_to_be_between') {
      push(input.batchPartition, quarantineVerdict(expectation, input.ledger));
      return;
    }
    if (!observations) {
      push(input.batchPartition, skipped(`no silver ${suite.dataset} rows for this date`));
      return;
    }
    if (expectation.perPartition) {
      for (const { partition, measures } of observations.partitions) {
        push(partition, judge(expectation, index, measures, input));
      }
      return;
    }
    const relative = relativeVerdict(expectation, index, observations, input);
    if (relative) {
      metrics[relative.key] = relative.metric;
      push(input.batchPartition, relative.verdict);
      return;
    }
    push(input.batchPartition, judge(expectation, index, observations.batch, input));
  });
  return { results, metrics };
}

type Verdict = Pick<
  ExpectationResult,
  'success' | 'observed' | 'elementCount' | 'unexpectedCount' | 'unexpectedPercent' | 'details'
>;

function baseResult(
  suite: Suite,
  expectation: Expectation,
): Omit<ExpectationResult, 'partition' | keyof Verdict> {
  const columns = columnsOf(expectation).filter(
    (name) => name !== (expectation.kwargs as { weight_column?: string }).weight_column,
  );
  return {
    suite: suite.name,
    dataset: suite.dataset,
    expectationId: expectation.id,
    expectation: expectation.type,
    column: columns.length ? columns.join(', ') : null,
    severity: expectation.severity,
    sample: [],
    location: expectation.location,
    kwargs: expectation.kwargs as { [key: string]: JsonValue },
  };
}

function skipped(reason: string): Verdict {
  return {
    success: null,
    observed: null,
    elementCount: null,
    unexpectedCount: null,
    unexpectedPercent: null,
    details: `not evaluated: ${reason}`,
  };
}

const count = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

function percent(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 100 * 10_000) / 10_000;
}

/** Map-style verdict: `mostly` of the `elements` rows must not be unexpected (vacuously true with none). */
function mapVerdict(elements: number, unexpected: number, mostly: number, what: string): Verdict {
  const passing = parseRatio(String(elements - unexpected));
  const success =
    elements === 0 || compareRatio(divideRatio(passing, ratio(BigInt(elements))), parseRatio(mostly)) >= 0;
  const share = percent(unexpected, elements);
  return {
    success,
    observed: share,
    elementCount: elements,
    unexpectedCount: unexpected,
    unexpectedPercent: share,
    details:
      `${unexpected} of ${elements} ${what} (${share ?? 0}%)` +
      (mostly < 1 ? `; at most ${formatPercent(1 - mostly)} allowed (mostly ${mostly})` : '; none allowed'),
  };
}

function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 100 * 10_000) / 10_000}%`;
}

function inRange(
  value: Ratio,
  kwargs: {
    min_value?: number | string;
    max_value?: number | string;
    strict_min?: boolean;
    strict_max?: boolean;
  },
): boolean {
  if (kwargs.min_value !== undefined) {
    const against = compareRatio(value, parseRatio(kwargs.min_value));
    if (against < 0 || (kwargs.strict_min && against === 0)) return false;
  }
  if (kwargs.max_value !== undefined) {
    const against = compareRatio(value, parseRatio(kwargs.max_value));
    if (against > 0 || (kwargs.strict_max && against === 0)) return false;
  }
  return true;
}

function rangeText(kwargs: {
  min_value?: number | string;
  max_value?: number | string;
  strict_min?: boolean;
  strict_max?: boolean;
}): string {
  const low = kwargs.min_value === undefined ? '(-∞' : `${kwargs.strict_min ? '(' : '['}${kwargs.min_value}`;
  const high = kwargs.max_value === undefined ? '∞)' : `${kwargs.max_value}${kwargs.strict_max ? ')' : ']'}`;
  return `${low}, ${high}`;
}

function judge(expectation: Expectation, index: number, measures: Measures, input: EvaluationInput): Verdict {
  const m = (name: string) => measure(measures, index, name);
  const mostly = (expectation.kwargs as { mostly?: number }).mostly ?? 1;
  switch (expectation.type) {
    case 'expect_column_values_to_not_be_null':
      return mapVerdict(
        count(m('elements')),
        count(m('elements')) - count(m('present')),
        mostly,
        'rows are null',
      );
    case 'expect_column_values_to_be_in_set':
      if (!Array.isArray(expectation.kwargs.value_set) && !input.references.has(index)) {
        const { from_dataset, column } = expectation.kwargs.value_set;
        return skipped(`no ${from_dataset} snapshot on or before this date to read ${column} from`);
      }
      return mapVerdict(count(m('elements')), count(m('unexpected')), mostly, 'values are not in the set');
    case 'expect_column_values_to_be_between':
      return mapVerdict(
        count(m('elements')),
        count(m('unexpected')),
        mostly,
        `values are outside ${rangeText(expectation.kwargs)}`,
      );
    case 'expect_column_values_to_match_regex':
      return mapVerdict(
        count(m('elements')),
        count(m('unexpected')),
        mostly,
        `values do not match /${expectation.kwargs.regex}/`,
      );
    case 'expect_column_value_lengths_to_be_between':
      return mapVerdict(
        count(m('elements')),
        count(m('unexpected')),
        mostly,
        `values have a length outside ${rangeText(expectation.kwargs)}`,
      );
    case 'expect_column_pair_values_a_to_be_greater_than_b':
      return mapVerdict(
        count(m('elements')),
        count(m('unexpected')),
        mostly,
        `rows have ${expectation.kwargs.column_A} ${expectation.kwargs.or_equal ? '<' : '≤'} ${expectation.kwargs.column_B}`,
      );
    case 'expect_column_values_to_be_unique':
    case 'expect_compound_columns_to_be_unique': {
      const elements = count(m('elements'));
      return mapVerdict(
        elements,
        elements - count(m('distinct')),
        mostly,
        'rows repeat a value of an earlier row',
      );
    }
    case 'expect_table_row_count_to_be_between': {
      const rows = count(m('rows'));
      const success = inRange(ratio(BigInt(rows)), expectation.kwargs);
      return {
        ...noCounts(),
        success,
        observed: rows,
        details: `${rows} rows; allowed ${rangeText(expectation.kwargs)}`,
      };
    }
    case 'expect_column_mean_to_be_between': {
      const mean = meanOf(m('sum'), count(m('elements')));
      if (!mean) return { ...noCounts(), success: false, observed: null, details: 'no values to average' };
      return {
        ...noCounts(),
        success: inRange(mean, expectation.kwargs),
        observed: formatRatio(mean, 2),
        elementCount: count(m('elements')),
        details: `mean ${formatRatio(mean, 2)}; allowed ${rangeText(expectation.kwargs)}`,
      };
    }
    case 'expect_column_proportion_of_unique_values_to_be_between': {
      const elements = count(m('elements'));
      if (elements === 0) return skipped('no values');
      const proportion = ratio(BigInt(count(m('distinct'))), BigInt(elements));
      return {
        ...noCounts(),
        success: inRange(proportion, expectation.kwargs),
        observed: Number(formatRatio(proportion, 6)),
        elementCount: elements,
        details: `${count(m('distinct'))} distinct of ${elements} values (${formatRatio(proportion, 6)}); allowed ${rangeText(expectation.kwargs)}`,
      };
    }
    case 'expect_column_distinct_values_to_be_in_set': {
      const outside = ((m('outside') as string[] | null) ?? []).slice().sort();
      return {
        ...noCounts(),
        success: outside.length === 0,
        observed: outside,
        elementCount: count(m('distinct')),
        unexpectedCount: outside.length,
        details: outside.length
          ? `${outside.length} of ${count(m('distinct'))} distinct values are not in the set: ${outside.slice(0, 10).join(', ')}`
          : `all ${count(m('distinct'))} distinct values are in the set`,
      };
    }
    default:
      return skipped(`${expectation.type} is not judged per row set`);
  }
}

function noCounts(): Pick<Verdict, 'elementCount' | 'unexpectedCount' | 'unexpectedPercent'> {
  return { elementCount: null, unexpectedCount: null, unexpectedPercent: null };
}

function meanOf(sum: unknown, elements: number): Ratio | undefined {
  if (elements === 0 || sum === null || sum === undefined) return undefined;
  return divideRatio(parseRatio(String(sum)), ratio(BigInt(elements)));
}

function quarantineVerdict(
  expectation: ExpectationOf<'expect_quarantine_rate_to_be_between'>,
  ledger: LedgerCounts | undefined,
): Verdict {
  if (!ledger) return skipped('no ledger entry for this date');
  const minRows = expectation.kwargs.min_rows;
  if (minRows !== undefined && ledger.bronze_rows < minRows) {
    return skipped(`${ledger.bronze_rows} bronze rows, fewer than min_rows ${minRows}`);
  }
  const rate =
    ledger.bronze_rows === 0 ? ratio(0n) : ratio(BigInt(ledger.quarantined), BigInt(ledger.bronze_rows));
  const reasons = Object.entries(ledger.quarantined_by_reason)
    .sort(([, a], [, b]) => b - a)
    .map(([reason, rows]) => `${reason} ${rows}`)
    .join(', ');
  return {
    success: inRange(rate, expectation.kwargs),
    observed: Number(formatRatio(rate, 6)),
    elementCount: ledger.bronze_rows,
    unexpectedCount: ledger.quarantined,
    unexpectedPercent: percent(ledger.quarantined, ledger.bronze_rows),
    details:
      `${ledger.quarantined} of ${ledger.bronze_rows} bronze rows quarantined (${formatRatio(rate, 4)}); ` +
      `allowed ${rangeText(expectation.kwargs)}${reasons ? `; reasons: ${reasons}` : ''}`,
  };
}

/** The metric key a relative expectation stores and reads (row_condition included: a different row set). */
export function metricKey(expectation: Expectation): string | undefined {
  const condition = (expectation.kwargs as { row_condition?: string }).row_condition;
  const where = condition ? ` where ${condition}` : '';
  switch (expectation.type) {
    case 'expect_table_row_count_to_be_within_ratio_of_trailing_median':
      return `row_count${where}`;
    case 'expect_column_mean_to_be_within_ratio_of_trailing_median':
      return `mean(${expectation.kwargs.column})${where}`;
    case 'expect_column_value_shares_to_be_within_trailing_shares':
      return `shares(${expectation.kwargs.column} by ${expectation.kwargs.weight_column ?? 'rows'})${where}`;
    default:
      return undefined;
  }
}

function relativeVerdict(
  expectation: Expectation,
  index: number,
  observations: ScanObservations,
  input: EvaluationInput,
): { key: string; metric: QualityMetric; verdict: Verdict } | undefined {
  const key = metricKey(expectation);
  if (!key) return undefined;
  const m = (name: string) => measure(observations.batch, index, name);
  const trailing = (kind: QualityMetric['kind']) => {
    const { trailing_days, min_history_days } = expectation.kwargs as {
      trailing_days: number;
      min_history_days: number;
    };
    const days = input.history
      .filter((day) => {
        const age = daysBetween(day.ingestDate, input.ingestDate);
        return age >= 1 && age <= trailing_days;
      })
      .map((day) => day.metrics[input.suite.dataset]?.[key])
      .filter((metric): metric is QualityMetric => metric?.kind === kind);
    return { days, missing: days.length < min_history_days, trailing_days, min_history_days };
  };
  const notEnough = (found: number, wanted: number, needed: number) =>
    skipped(`${found} of the ${wanted} trailing days have results; needs ${needed}`);

  switch (expectation.type) {
    case 'expect_table_row_count_to_be_within_ratio_of_trailing_median': {
      const rows = count(m('rows'));
      const metric: QualityMetric = { kind: 'count', value: rows };
      const history = trailing('count');
      if (history.missing) {
        return {
          key,
          metric,
          verdict: notEnough(history.days.length, history.trailing_days, history.min_history_days),
        };
      }
      const median = medianRatio(history.days.map((day) => ratio(BigInt((day as { value: number }).value))));
      return {
        key,
        metric,
        verdict: ratioVerdict(
          ratio(BigInt(rows)),
          median,
          history.days.length,
          expectation.kwargs,
          'rows',
          0,
        ),
      };
    }
    case 'expect_column_mean_to_be_within_ratio_of_trailing_median': {
      const elements = count(m('elements'));
      const sum = m('sum') === null ? null : String(m('sum'));
      const metric: QualityMetric = { kind: 'mean', sum, count: elements };
      const mean = meanOf(sum, elements);
      const history = trailing('mean');
      if (history.missing) {
        return {
          key,
          metric,
          verdict: notEnough(history.days.length, history.trailing_days, history.min_history_days),
        };
      }
      const means = history.days
        .map((day) => day as { sum: string | null; count: number })
        .map((day) => meanOf(day.sum, day.count))
        .filter((value): value is Ratio => value !== undefined);
      if (!mean || means.length === 0) {
        return { key, metric, verdict: { ...skipped('no values to average'), success: false } };
      }
      return {
        key,
        metric,
        verdict: ratioVerdict(
          mean,
          medianRatio(means),
          history.days.length,
          expectation.kwargs,
          `mean of ${expectation.kwargs.column}`,
          2,
        ),
      };
    }
    case 'expect_column_value_shares_to_be_within_trailing_shares': {
      const weights: Record<string, string> = {};
      let total = ratio(0n);
      for (const { value, measures } of observations.shares[expectation.kwargs.column] ?? []) {
        const weight = measure(measures, index, 'weight');
        if (weight === null) continue;
        weights[value ?? 'null'] = String(weight);
        total = addRatio(total, parseRatio(String(weight)));
      }
      const metric: QualityMetric = { kind: 'shares', weights, total: formatRatio(total, 2) };
      const rows = count(observations.batch['fintech_rows']);
      const minRows = expectation.kwargs.min_rows;
      if (minRows !== undefined && rows < minRows) {
        return { key, metric, verdict: skipped(`${rows} rows, fewer than min_rows ${minRows}`) };
      }
      const history = trailing('shares');
      if (history.missing) {
        return {
          key,
          metric,
          verdict: notEnough(history.days.length, history.trailing_days, history.min_history_days),
        };
      }
      return {
        key,
        metric,
        verdict: sharesVerdict(
          metric,
          history.days as Extract<QualityMetric, { kind: 'shares' }>[],
          expectation,
        ),
      };
    }
    default:
      return undefined;
  }
}

function ratioVerdict(
  value: Ratio,
  median: Ratio,
  days: number,
  kwargs: { min_ratio?: number; max_ratio?: number },
  what: string,
  digits: number,
): Verdict {
  const observedRatio = median.num === 0n ? undefined : divideRatio(value, median);
  const low =
    kwargs.min_ratio === undefined ||
    (observedRatio && compareRatio(observedRatio, parseRatio(kwargs.min_ratio)) >= 0);
  const high =
    kwargs.max_ratio === undefined ||
    (observedRatio && compareRatio(observedRatio, parseRatio(kwargs.max_ratio)) <= 0);
  const success = observedRatio ? Boolean(low && high) : value.num === 0n;
  const shown = observedRatio ? formatRatio(observedRatio, 4) : 'undefined (median 0)';
  return {
    ...noCounts(),
    success,
    observed: {
      value: formatRatio(value, digits),
      trailing_median: formatRatio(median, digits),
      ratio: observedRatio ? formatRatio(observedRatio, 4) : null,
      trailing_days: days,
    },
    details:
      `${what} ${formatRatio(value, digits)} is ${shown} × the median ${formatRatio(median, digits)} of ${days} trailing days; ` +
      `allowed [${kwargs.min_ratio ?? 0}, ${kwargs.max_ratio ?? '∞'}]`,
  };
}

function sharesVerdict(
  today: Extract<QualityMetric, { kind: 'shares' }>,
  history: Extract<QualityMetric, { kind: 'shares' }>[],
  expectation: ExpectationOf<'expect_column_value_shares_to_be_within_trailing_shares'>,
): Verdict {
  // The trailing share pools the trailing days (their weights over their totals), so a small day counts less.
  const pooled: Record<string, Ratio> = {};
  let pooledTotal = ratio(0n);
  for (const day of history) {
    for (const [value, weight] of Object.entries(day.weights)) {
      pooled[value] = addRatio(pooled[value] ?? ratio(0n), parseRatio(weight));
    }
    pooledTotal = addRatio(pooledTotal, parseRatio(day.total));
  }
  const todayTotal = parseRatio(today.total);
  const shareOf = (weight: string | Ratio | undefined, total: Ratio) =>
    weight === undefined || total.num === 0n
      ? ratio(0n)
      : divideRatio(typeof weight === 'string' ? parseRatio(weight) : weight, total);
  const maxDelta = parseRatio(expectation.kwargs.max_delta);
  const rows = [...new Set([...Object.keys(today.weights), ...Object.keys(pooled)])].map((value) => {
    const share = shareOf(today.weights[value], todayTotal);
    const trailingShare = shareOf(pooled[value], pooledTotal);
    const delta = subtractRatio(share, trailingShare);
    return { value, share, trailingShare, delta, moved: compareRatio(absRatio(delta), maxDelta) > 0 };
  });
  rows.sort((a, b) => compareRatio(absRatio(b.delta), absRatio(a.delta)) || a.value.localeCompare(b.value));
  const moved = rows.filter((row) => row.moved);
  const points = (value: Ratio) => formatRatio(ratio(value.num * 100n, value.den), 2);
  const describe = (row: (typeof rows)[number]) =>
    `${row.value} ${points(row.share)}% (trailing ${points(row.trailingShare)}%)`;
  return {
    success: moved.length === 0,
    observed: rows.slice(0, 10).map((row) => ({
      value: row.value,
      share: formatRatio(row.share, 4),
      trailing_share: formatRatio(row.trailingShare, 4),
      delta: formatRatio(row.delta, 4),
    })),
    elementCount: rows.length,
    unexpectedCount: moved.length,
    unexpectedPercent: percent(moved.length, rows.length),
    details:
      (moved.length
        ? `${moved.length} of ${rows.length} values moved more than ${points(maxDelta)} points: ${moved.slice(0, 5).map(describe).join('; ')}`
        : `every value within ${points(maxDelta)} points of its share over ${history.length} trailing days; largest move ${rows[0] ? describe(rows[0]) : 'none'}`) +
      ` (share of ${expectation.kwargs.weight_column ?? 'rows'})`,
  };
}
