/**
 * A suite → ONE aggregate query over the batch's rows. Every expectation becomes a few aggregates (rows in its
 * domain, unexpected rows, sums, distinct counts), deduplicated, all over one read of the files: the rows the
 * suite needs (its columns, a flag per row condition, the match of each reference set) are materialised once,
 * then aggregated for the whole batch, per partition (`partition_by`, for `per_partition` expectations) and per
 * value of each share column:
 *
 *   with b as materialized (select event_date, amount, …, (status = 'declined') as c0, r20.ref_value as r20
 *                           from <batch> as src left join (select distinct ref_value from …) as r20 on …)
 *   select 0 as fintech_set, null as g0, count(*) as x0, count(b.amount) as x1, …  from b
 *   union all select 1, cast(b.event_date as varchar), …  from b group by b.event_date
 *   union all select 2, cast(b.currency as varchar), …    from b group by b.currency
 *
 * Each branch computes only its own aggregates (the others are null), which costs less than GROUPING SETS, where
 * every set computes every aggregate. A second query, built only for expectations that failed, fetches at most
 * 20 unexpected rows (or values) each.
 */
import type { QualityDialect } from './quality-dialect.ts';
import { columnsOf, type Expectation, type ExpectationOf, type Suite } from './suite.ts';

export const SAMPLE_ROWS = 20;

export type MeasureValue = number | string | string[] | null;
export type Measures = Record<string, MeasureValue>;

export interface ScanObservations {
  /** The whole batch's aggregates; `fintech_rows` is its row count. */
  batch: Measures;
  /** One entry per partition (`event_date=2025-03-01`), for per-partition expectations. */
  partitions: { partition: string; measures: Measures }[];
  /** Per share column: one entry per value (null for a null value). */
  shares: Record<string, { value: string | null; measures: Measures }[]>;
}

export interface ScanInput {
  suite: Suite;
  dialect: QualityDialect;
  /** SQL of the batch's rows: a table function or a parenthesised select. */
  batch: string;
  /** Per expectation index: the reference set relation (one column `ref_value`) of an in-set check. */
  references: Map<number, string>;
}

export interface CompiledScan {
  sql: string;
  decode(rows: Record<string, unknown>[]): ScanObservations;
}

/** The measure `name` of expectation `index` in a row of the scan. */
export const measure = (measures: Measures, index: number, name: string): MeasureValue =>
  measures[`m${index}_${name}`] ?? null;

/**
 * How compiled predicates reach a row's values: in the scan, the materialised rows `b` carry the columns the
 * suite reads plus one boolean per row condition and the matched value of each reference set; in the sample
 * query, `b` is the batch itself and conditions and references are written out.
 */
interface Scope {
  column(name: string): string;
  /** The expectation's row condition as a predicate ('true' when it has none). */
  condition(index: number): string;
  /** The reference set's value matching the row's (null when the value is not in the set). */
  reference(index: number): string;
}

const conditionOf = (expectation: Expectation) =>
  (expectation.kwargs as { row_condition?: string }).row_condition;

function and(...parts: string[]): string {
  const kept = parts.filter((part) => part !== 'true');
  return kept.length ? kept.join(' and ') : 'true';
}

const countIf = (predicate: string) =>
  predicate === 'true' ? 'count(*)' : `count(case when ${predicate} then 1 end)`;
/** Non-null values of `value` in the domain, natively when the domain is every row. */
const countValues = (domain: string, value: string) =>
  domain === 'true' ? `count(${value})` : `count(case when ${domain} then ${value} end)`;

export function compileScan(input: ScanInput): CompiledScan {
  const { suite, dialect } = input;
  const q = dialect.quoteIdentifier;
  const isShare = (expectation: Expectation) =>
    expectation.type === 'expect_column_value_shares_to_be_within_trailing_shares';
  const partitionColumns = suite.expectations.some((expectation) => expectation.perPartition)
    ? suite.partitionBy
    : [];
  const shareColumns = [
    ...new Set(
      suite.expectations.flatMap((expectation) =>
        expectation.type === 'expect_column_value_shares_to_be_within_trailing_shares'
          ? [expectation.kwargs.column]
          : [],
      ),
    ),
  ];

  // The rows: the columns the suite reads, a flag per distinct row condition, the match of each reference set.
  const rowColumns = new Set<string>([...partitionColumns, ...shareColumns]);
  const conditionFlags = new Map<string, string>();
  const flagOf = new Map<number, string>();
  const references: string[] = [];
  const joins: string[] = [];
  suite.expectations.forEach((expectation, index) => {
    for (const name of columnsOf(expectation)) rowColumns.add(name);
    const condition = conditionOf(expectation);
    if (condition) {
      if (!conditionFlags.has(condition)) conditionFlags.set(condition, `c${conditionFlags.size}`);
      flagOf.set(index, conditionFlags.get(condition)!);
    }
    const reference = input.references.get(index);
    if (reference && expectation.type === 'expect_column_values_to_be_in_set') {
      references.push(`${q(`r${index}`)}.ref_value as ${q(`r${index}`)}`);
      joins.push(
        `left join (select distinct ref_value from ${reference}) as ${q(`r${index}`)} on src.${q(expectation.kwargs.column)} = ${q(`r${index}`)}.ref_value`,
      );
    }
  });
  const rowsSql = [
    `select ${[
      ...[...rowColumns].map((name) => `src.${q(name)} as ${q(name)}`),
      ...[...conditionFlags].map(([condition, flag]) => `(${condition}) as ${q(flag)}`),
      ...references,
      // a constant keeps the select valid for a suite that reads no column (row counts only)
      '1 as fintech_one',
    ].join(', ')}`,
    `from ${input.batch} as src`,
    ...joins,
  ].join('\n');
  const scope: Scope = {
    column: (name) => `b.${q(name)}`,
    condition: (index) => (flagOf.has(index) ? `b.${q(flagOf.get(index)!)}` : 'true'),
    reference: (index) => `b.${q(`r${index}`)}`,
  };

  // Measures, deduplicated by their SQL (two checks of one column share its count), each tagged with its sets.
  const sets = [
    { key: 'batch', groupBy: [] as string[] },
    ...(partitionColumns.length ? [{ key: 'partition', groupBy: partitionColumns }] : []),
    ...shareColumns.map((share) => ({ key: `share:${share}`, groupBy: [share] })),
  ];
  const aliases = new Map<string, { alias: string; sets: Set<string> }>();
  const measureAlias = new Map<string, string>();
  const add = (key: string, sql: string, set: string) => {
    let entry = aliases.get(sql);
    if (!entry) {
      entry = { alias: `x${aliases.size}`, sets: new Set() };
      aliases.set(sql, entry);
    }
    entry.sets.add(set);
    measureAlias.set(key, entry.alias);
  };
  for (const set of sets) add('fintech_rows', 'count(*)', set.key);
  suite.expectations.forEach((expectation, index) => {
    const set = expectation.perPartition
      ? 'partition'
      : isShare(expectation)
        ? `share:${(expectation.kwargs as { column: string }).column}`
        : 'batch';
    for (const [name, sql] of measuresOf(expectation, index, input, scope))
      add(`m${index}_${name}`, sql, set);
  });

  const groupColumns = [...new Set(sets.flatMap((set) => set.groupBy))];
  const branches = sets.map((set, position) => {
    const keys = groupColumns.map(
      (name, i) =>
        `${set.groupBy.includes(name) ? `cast(${scope.column(name)} as varchar)` : 'cast(null as varchar)'} as ${q(`g${i}`)}`,
    );
    const values = [...aliases].map(
      ([sql, entry]) => `${entry.sets.has(set.key) ? sql : 'null'} as ${q(entry.alias)}`,
    );
    return `select ${[`${position} as fintech_set`, ...keys, ...values].join(',\n  ')}\nfrom b${set.groupBy.length ? `\ngroup by ${set.groupBy.map(scope.column).join(', ')}` : ''}`;
  });
  // One pass over the files: several grouped selects read the rows once materialised; a single one streams them.
  const sql =
    branches.length === 1
      ? branches[0]!.replace(/\nfrom b$/, `\nfrom (${rowsSql}) as b`)
      : `with b as materialized (\n${rowsSql}\n)\n${branches.join('\nunion all\n')}`;

  const measuresOfRow = (row: Record<string, unknown>): Measures =>
    Object.fromEntries([...measureAlias].map(([key, alias]) => [key, (row[alias] ?? null) as MeasureValue]));
  return {
    sql,
    decode(rows) {
      const observations: ScanObservations = {
        batch: {},
        partitions: [],
        shares: Object.fromEntries(shareColumns.map((share) => [share, []])),
      };
      for (const row of rows) {
        const set = sets[Number(row['fintech_set'])]!;
        const key = (name: string) => row[`g${groupColumns.indexOf(name)}`];
        if (set.key === 'batch') observations.batch = measuresOfRow(row);
        else if (set.key === 'partition') {
          observations.partitions.push({
            partition: partitionColumns.map((name) => `${name}=${key(name) ?? 'null'}`).join('/'),
            measures: measuresOfRow(row),
          });
        } else {
          const share = set.groupBy[0]!;
          const value = key(share);
          observations.shares[share]!.push({
            value: value === null || value === undefined ? null : String(value),
            measures: measuresOfRow(row),
          });
        }
      }
      observations.partitions.sort((a, b) => a.partition.localeCompare(b.partition));
      return observations;
    },
  };
}

function literal(dialect: QualityDialect, value: string | number | boolean): string {
  return typeof value === 'string' ? dialect.quoteLiteral(value) : String(value);
}

function rangePredicate(
  dialect: QualityDialect,
  expression: string,
  kwargs: {
    min_value?: string | number;
    max_value?: string | number;
    strict_min?: boolean;
    strict_max?: boolean;
  },
): string {
  const parts: string[] = [];
  if (kwargs.min_value !== undefined)
    parts.push(`${expression} ${kwargs.strict_min ? '>' : '>='} ${literal(dialect, kwargs.min_value)}`);
  if (kwargs.max_value !== undefined)
    parts.push(`${expression} ${kwargs.strict_max ? '<' : '<='} ${literal(dialect, kwargs.max_value)}`);
  return parts.join(' and ');
}

/**
 * The row predicate that makes a row unexpected for a map expectation (its domain and non-null filters
 * included), or undefined for the others. The scan counts these rows; the sample query lists some.
 */
function unexpectedPredicate(
  expectation: Expectation,
  index: number,
  dialect: QualityDialect,
  scope: Scope,
  hasReference: boolean,
): string | undefined {
  const domain = scope.condition(index);
  const { column } = scope;
  switch (expectation.type) {
    case 'expect_column_values_to_not_be_null':
      return and(domain, `${column(expectation.kwargs.column)} is null`);
    case 'expect_column_values_to_be_in_set': {
      const value = column(expectation.kwargs.column);
      const set = expectation.kwargs.value_set;
      if (!Array.isArray(set)) {
        return hasReference
          ? and(domain, `${value} is not null`, `${scope.reference(index)} is null`)
          : undefined;
      }
      return and(domain, `${value} not in (${set.map((item) => literal(dialect, item)).join(', ')})`);
    }
    case 'expect_column_values_to_be_between': {
      const value = column(expectation.kwargs.column);
      return and(domain, `not (${rangePredicate(dialect, value, expectation.kwargs)})`);
    }
    case 'expect_column_values_to_match_regex': {
      const value = column(expectation.kwargs.column);
      return and(domain, `not ${dialect.regexMatches(value, expectation.kwargs.regex)}`);
    }
    case 'expect_column_value_lengths_to_be_between': {
      const value = column(expectation.kwargs.column);
      return and(domain, `not (${rangePredicate(dialect, dialect.textLength(value), expectation.kwargs)})`);
    }
    case 'expect_column_pair_values_a_to_be_greater_than_b': {
      const a = column(expectation.kwargs.column_A);
      const b = column(expectation.kwargs.column_B);
      return and(domain, `not (${a} ${expectation.kwargs.or_equal ? '>=' : '>'} ${b})`);
    }
    default:
      return undefined;
  }
}

function measuresOf(
  expectation: Expectation,
  index: number,
  input: ScanInput,
  scope: Scope,
): [string, string][] {
  const { dialect } = input;
  const domain = scope.condition(index);
  const { column } = scope;
  // A comparison with NULL is never true, so `not (…)` predicates count no null value as unexpected: GX's
  // element count for them is the non-null values, for not_null every row of the domain.
  switch (expectation.type) {
    case 'expect_column_values_to_not_be_null': {
      const value = column(expectation.kwargs.column);
      return [
        ['elements', countIf(domain)],
        ['present', countValues(domain, value)],
      ];
    }
    case 'expect_column_values_to_be_in_set':
    case 'expect_column_values_to_be_between':
    case 'expect_column_values_to_match_regex':
    case 'expect_column_value_lengths_to_be_between': {
      const unexpected = unexpectedPredicate(expectation, index, dialect, scope, input.references.has(index));
      if (unexpected === undefined) return [];
      return [
        ['elements', countValues(domain, column(expectation.kwargs.column))],
        ['unexpected', countIf(unexpected)],
      ];
    }
    case 'expect_column_pair_values_a_to_be_greater_than_b': {
      const both = and(
        domain,
        `${column(expectation.kwargs.column_A)} is not null`,
        `${column(expectation.kwargs.column_B)} is not null`,
      );
      return [
        ['elements', countIf(both)],
        ['unexpected', countIf(unexpectedPredicate(expectation, index, dialect, scope, false)!)],
      ];
    }
    case 'expect_compound_columns_to_be_unique': {
      const rows = and(
        domain,
        `(${expectation.kwargs.column_list.map((name) => `${column(name)} is not null`).join(' or ')})`,
      );
      const value = dialect.rowValue(expectation.kwargs.column_list.map(column));
      return [
        ['elements', countIf(rows)],
        ['distinct', `count(distinct case when ${rows} then ${value} end)`],
      ];
    }
    case 'expect_column_values_to_be_unique':
    case 'expect_column_proportion_of_unique_values_to_be_between': {
      const value = column(expectation.kwargs.column);
      return [
        ['elements', countValues(domain, value)],
        [
          'distinct',
          domain === 'true'
            ? `count(distinct ${value})`
            : `count(distinct case when ${domain} then ${value} end)`,
        ],
      ];
    }
    case 'expect_table_row_count_to_be_between':
    case 'expect_table_row_count_to_be_within_ratio_of_trailing_median':
      return [['rows', countIf(domain)]];
    case 'expect_column_mean_to_be_between':
    case 'expect_column_mean_to_be_within_ratio_of_trailing_median': {
      const value = column(expectation.kwargs.column);
      return [
        [
          'sum',
          `cast(sum(${domain === 'true' ? value : `case when ${domain} then ${value} end`}) as varchar)`,
        ],
        ['elements', countValues(domain, value)],
      ];
    }
    case 'expect_column_distinct_values_to_be_in_set': {
      const value = column(expectation.kwargs.column);
      const set = expectation.kwargs.value_set.map((item) => literal(dialect, item)).join(', ');
      return [
        [
          'distinct',
          domain === 'true'
            ? `count(distinct ${value})`
            : `count(distinct case when ${domain} then ${value} end)`,
        ],
        ['outside', dialect.distinctTextValues(value, and(domain, `${value} not in (${set})`))],
      ];
    }
    case 'expect_column_value_shares_to_be_within_trailing_shares': {
      const weight = expectation.kwargs.weight_column;
      return [
        [
          'weight',
          weight
            ? `cast(sum(${domain === 'true' ? column(weight) : `case when ${domain} then ${column(weight)} end`}) as varchar)`
            : `cast(${countIf(domain)} as varchar)`,
        ],
      ];
    }
    case 'expect_quarantine_rate_to_be_between':
      return [];
  }
}

export interface SampleRequest {
  index: number;
  /** Only rows of these partitions (per-partition expectations), else the whole batch. */
  partitions?: string[];
}

/**
 * The second query: for each failed expectation that has unexpected rows or values, at most SAMPLE_ROWS of them
 * as JSON text, tagged with the expectation's index. Undefined when none of the requests has a sample.
 */
export function compileSampleQuery(
  input: ScanInput & { keyColumns: string[] },
  requests: SampleRequest[],
): string | undefined {
  const { suite, dialect } = input;
  const q = dialect.quoteIdentifier;
  const column = (name: string) => `b.${q(name)}`;
  const scope: Scope = {
    column,
    condition: (index) => {
      const condition = conditionOf(suite.expectations[index]!);
      return condition ? `(${condition})` : 'true';
    },
    reference: (index) => `${q(`r${index}`)}.ref_value`,
  };
  const parts: string[] = [];
  for (const request of requests) {
    const expectation = suite.expectations[request.index]!;
    const partitionFilter =
      request.partitions && suite.partitionBy.length
        ? ` and ${partitionKeyExpression(suite.partitionBy, dialect, column)} in (${request.partitions.map((p) => dialect.quoteLiteral(p)).join(', ')})`
        : '';
    const partitionSelect = expectation.perPartition
      ? partitionKeyExpression(suite.partitionBy, dialect, column)
      : 'cast(null as varchar)';
    const tag = `${request.index} as fintech_index, ${partitionSelect} as fintech_partition`;
    const unexpected = unexpectedPredicate(
      expectation,
      request.index,
      dialect,
      scope,
      input.references.has(request.index),
    );
    if (unexpected !== undefined) {
      const fields = Object.fromEntries(
        [...new Set([...input.keyColumns, ...columnsOfSample(expectation)])].map((name) => [
          name,
          column(name),
        ]),
      );
      const join =
        expectation.type === 'expect_column_values_to_be_in_set' && input.references.has(request.index)
          ? ` left join (select distinct ref_value from ${input.references.get(request.index)}) as ${q(`r${request.index}`)} on ${column(expectation.kwargs.column)} = ${q(`r${request.index}`)}.ref_value`
          : '';
      parts.push(
        `(select ${tag}, ${dialect.jsonObject(fields)} as fintech_sample from ${input.batch} as b${join} where ${unexpected}${partitionFilter} limit ${SAMPLE_ROWS})`,
      );
      continue;
    }
    const grouped = duplicateGroups(expectation, scope.condition(request.index), column, dialect);
    if (grouped) {
      const groupBy = [...(expectation.perPartition ? [partitionSelect] : []), ...grouped.by].join(', ');
      parts.push(
        `(select ${tag}, ${dialect.jsonObject({ ...grouped.fields, rows: 'count(*)' })} as fintech_sample from ${input.batch} as b where ${grouped.where}${partitionFilter} group by ${groupBy} having ${grouped.having} limit ${SAMPLE_ROWS})`,
      );
    }
  }
  return parts.length ? parts.join('\nunion all\n') : undefined;
}

/**
 * The query that selects an expectation's offending rows (or repeated and unexpected values) written over
 * named relations instead of the batch's files: what a failure report shows a person, who can run it on the
 * warehouse's staging relations. Undefined for the expectations judged on an aggregate (a row count, a mean,
 * shares, the quarantine rate): they have no offending rows.
 */
export function unexpectedRowsQuery(
  suite: Suite,
  index: number,
  dialect: QualityDialect,
  relations: {
    /** The relation of the batch's rows (`staging.silver_transactions_batch`). */
    batch: string;
    /** The relation of a reference set's dataset (`staging.silver_merchants`), for an in-set check. */
    reference?: string;
    /** Only this partition (`event_date=2025-03-01`), for a per-partition expectation. */
    partition?: string;
    keyColumns: string[];
  },
): string | undefined {
  const expectation = suite.expectations[index];
  if (!expectation) return undefined;
  const q = dialect.quoteIdentifier;
  const column = (name: string) => `b.${q(name)}`;
  const alias = q(`r${index}`);
  const condition = conditionOf(expectation);
  const scope: Scope = {
    column,
    condition: () => (condition ? `(${condition})` : 'true'),
    reference: () => `${alias}.ref_value`,
  };
  const partition =
    relations.partition && suite.partitionBy.length
      ? ` and ${partitionKeyExpression(suite.partitionBy, dialect, column)} = ${dialect.quoteLiteral(relations.partition)}`
      : '';
  const set = (expectation.kwargs as { value_set?: unknown }).value_set;
  const referenced =
    expectation.type === 'expect_column_values_to_be_in_set' && !Array.isArray(set) && relations.reference;
  const unexpected = unexpectedPredicate(expectation, index, dialect, scope, Boolean(referenced));
  if (unexpected !== undefined) {
    const columns = [...new Set([...relations.keyColumns, ...columnsOfSample(expectation)])].map(column);
    const join = referenced
      ? `\nleft join (select distinct ${q((set as { column: string }).column)} as ref_value from ${relations.reference}) as ${alias} on ${column(expectation.kwargs.column)} = ${alias}.ref_value`
      : '';
    return `select ${columns.join(', ')}\nfrom ${relations.batch} as b${join}\nwhere ${unexpected}${partition}`;
  }
  const grouped = duplicateGroups(expectation, scope.condition(index), column, dialect);
  if (!grouped) return undefined;
  const fields = Object.entries(grouped.fields).map(([name, value]) => `${value} as ${q(name)}`);
  return (
    `select ${[...fields, 'count(*) as rows'].join(', ')}\nfrom ${relations.batch} as b\n` +
    `where ${grouped.where}${partition}\ngroup by ${grouped.by.join(', ')}\nhaving ${grouped.having}`
  );
}

function partitionKeyExpression(
  partitionBy: string[],
  dialect: QualityDialect,
  column: (name: string) => string,
): string {
  return partitionBy
    .map((name) => `${dialect.quoteLiteral(`${name}=`)} || cast(${column(name)} as varchar)`)
    .join(` || '/' || `);
}

function columnsOfSample(expectation: Expectation): string[] {
  const kwargs = expectation.kwargs as Record<string, unknown>;
  return ['column', 'column_A', 'column_B']
    .map((key) => kwargs[key])
    .filter((value): value is string => typeof value === 'string');
}

/** For the expectations judged on values, not rows: the duplicated or unexpected values and their row counts. */
function duplicateGroups(
  expectation: Expectation,
  domain: string,
  column: (name: string) => string,
  dialect: QualityDialect,
): { fields: Record<string, string>; by: string[]; where: string; having: string } | undefined {
  switch (expectation.type) {
    case 'expect_column_values_to_be_unique': {
      const value = column(expectation.kwargs.column);
      return {
        fields: { [expectation.kwargs.column]: value },
        by: [value],
        where: and(domain, `${value} is not null`),
        having: 'count(*) > 1',
      };
    }
    case 'expect_compound_columns_to_be_unique': {
      const values = expectation.kwargs.column_list.map(column);
      return {
        fields: Object.fromEntries(expectation.kwargs.column_list.map((name) => [name, column(name)])),
        by: values,
        where: and(domain, `(${values.map((value) => `${value} is not null`).join(' or ')})`),
        having: 'count(*) > 1',
      };
    }
    case 'expect_column_distinct_values_to_be_in_set': {
      const value = column(expectation.kwargs.column);
      const set = (
        expectation as ExpectationOf<'expect_column_distinct_values_to_be_in_set'>
      ).kwargs.value_set
        .map((item) => literal(dialect, item))
        .join(', ');
      return {
        fields: { [expectation.kwargs.column]: value },
        by: [value],
        where: and(domain, `${value} not in (${set})`),
        having: 'count(*) > 0',
      };
    }
    default:
      return undefined;
  }
}
