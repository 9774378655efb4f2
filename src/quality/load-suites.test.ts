import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXPECTATION_TYPES } from './expectation-catalog.ts';
import { loadSuites, parseSuite, SuiteError } from './load-suites.ts';

const SHIPPED = fileURLToPath(new URL('../../pipeline/suites', import.meta.url));

const suite = (expectations: string, head = 'expectation_suite_name: t\ndataset: transactions\n') =>
  `${head}expectations:\n${expectations}`;

function refusal(text: string): string {
  try {
    parseSuite(text, '/suites/t.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(SuiteError);
    expect((error as SuiteError).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error('the suite was accepted');
}

describe('loadSuites', () => {
  it('loads the four shipped suites, every expectation with its file and line', () => {
    const suites = loadSuites(SHIPPED);
    expect(suites.map((s) => s.dataset).sort()).toEqual(['cards', 'customers', 'merchants', 'transactions']);
    const transactions = suites.find((s) => s.dataset === 'transactions')!;
    expect(transactions.partitionBy).toEqual(['event_date']);
    const unique = transactions.expectations.find((e) => e.type === 'expect_column_values_to_be_unique')!;
    expect(unique).toMatchObject({
      id: 'expect_column_values_to_be_unique(transaction_id)',
      perPartition: true,
    });
    expect(unique.location.file).toMatch(/pipeline\/suites\/transactions\.yml$/);
    expect(unique.location.line).toBeGreaterThan(1);
    // Every expectation the catalog offers is used by a shipped suite.
    const used = new Set(suites.flatMap((s) => s.expectations.map((e) => e.type)));
    expect(EXPECTATION_TYPES.filter((type) => !used.has(type))).toEqual([]);
  });

  it('gives repeated expectations distinct ids, row conditions included', () => {
    const parsed = parseSuite(
      suite(`  - expectation_type: expect_column_values_to_not_be_null
    kwargs: {column: a}
  - expectation_type: expect_column_values_to_not_be_null
    kwargs: {column: a}
  - expectation_type: expect_column_values_to_not_be_null
    kwargs: {column: a, row_condition: "b = 1"}
    severity: warn
`),
      't.yml',
    );
    expect(parsed.expectations.map((e) => [e.id, e.severity, e.location.line])).toEqual([
      ['expect_column_values_to_not_be_null(a)', 'error', 4],
      ['expect_column_values_to_not_be_null(a) #2', 'error', 6],
      ['expect_column_values_to_not_be_null(a) where b = 1', 'warn', 8],
    ]);
  });

  it('refuses an unknown expectation, naming the file, the line and the allowed ones', () => {
    const message = refusal(
      suite(`  - expectation_type: expect_column_values_to_not_be_null
    kwargs: {column: a}
  - expectation_type: expect_column_values_to_be_positive
    kwargs: {column: a}
`),
    );
    expect(message).toMatch(
      /^\/suites\/t\.yml:6: unknown expectation 'expect_column_values_to_be_positive'; allowed: expect_column_values_to_not_be_null, expect_column_values_to_be_in_set, /,
    );
    expect(message).toContain('expect_quarantine_rate_to_be_between');
  });

  it('refuses an unknown argument on its own line, with the arguments the expectation takes', () => {
    expect(
      refusal(
        suite(`  - expectation_type: expect_column_values_to_not_be_null
    kwargs:
      column: a
      mostyl: 0.9
`),
      ),
    ).toBe(
      "/suites/t.yml:7: argument 'mostyl' is not allowed for expect_column_values_to_not_be_null; allowed: column, mostly, row_condition",
    );
  });

  it('refuses a missing argument, a wrong type, a bad severity and an unknown key', () => {
    expect(
      refusal(suite('  - expectation_type: expect_column_values_to_match_regex\n    kwargs: {column: a}\n')),
    ).toBe(
      "/suites/t.yml:5: expect_column_values_to_match_regex needs 'regex'; allowed: column, regex, mostly, row_condition",
    );
    expect(
      refusal(
        suite(
          '  - expectation_type: expect_column_values_to_not_be_null\n    kwargs: {column: a, mostly: 2}\n',
        ),
      ),
    ).toMatch(/^\/suites\/t\.yml:5: 'mostly' of expect_column_values_to_not_be_null: Too big/);
    expect(
      refusal(
        suite(
          '  - expectation_type: expect_column_values_to_not_be_null\n    kwargs: {column: a}\n    severity: fatal\n',
        ),
      ),
    ).toBe("/suites/t.yml:6: 'severity' must be one of error, warn");
    expect(
      refusal(
        suite(
          '  - expectation_type: expect_column_values_to_not_be_null\n    kwargs: {column: a}\n    levl: 1\n',
        ),
      ),
    ).toBe(
      "/suites/t.yml:6: key 'levl' is not allowed in an expectation; allowed: expectation_type, kwargs, severity, per_partition, meta",
    );
    expect(refusal('expectation_suite_name: t\ndataset: payments\nexpectations: []\n')).toBe(
      "/suites/t.yml:2: 'dataset' must be one of transactions, customers, cards, merchants",
    );
    expect(
      refusal(suite('  - expectation_type: expect_column_values_to_be_between\n    kwargs: {column: a}\n')),
    ).toBe('/suites/t.yml:5: expect_column_values_to_be_between needs min_value, max_value or both');
  });

  it('refuses per_partition without partition_by or on a relative expectation, and broken YAML', () => {
    expect(
      refusal(
        suite(
          '  - expectation_type: expect_column_values_to_be_unique\n    kwargs: {column: a}\n    per_partition: true\n',
        ),
      ),
    ).toBe("/suites/t.yml:6: per_partition needs the suite's partition_by (the columns of a partition)");
    expect(
      refusal(
        suite(
          '  - expectation_type: expect_table_row_count_to_be_within_ratio_of_trailing_median\n    kwargs: {min_ratio: 0.5}\n    per_partition: true\n',
          'expectation_suite_name: t\ndataset: transactions\npartition_by: [event_date]\n',
        ),
      ),
    ).toMatch(
      /^\/suites\/t\.yml:7: per_partition is not allowed for expect_table_row_count_to_be_within_ratio/,
    );
    expect(refusal('expectation_suite_name: t\ndataset: transactions\nexpectations: [\n  - a\n')).toMatch(
      /^\/suites\/t\.yml:\d+: not valid YAML: /,
    );
  });

  it('refuses two suites for one dataset and an unknown --suite', () => {
    const dir = mkdtempSync(join(tmpdir(), 'suites-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.yml'), 'expectation_suite_name: a\ndataset: cards\nexpectations: []\n');
    expect(loadSuites(dir, { only: 'a' }).map((s) => s.name)).toEqual(['a']);
    expect(() => loadSuites(dir, { only: 'nope' })).toThrow(/no suite named 'nope' in .*; suites: a$/);
    writeFileSync(join(dir, 'b.yml'), 'expectation_suite_name: b\ndataset: cards\nexpectations: []\n');
    expect(() => loadSuites(dir)).toThrow(
      /b\.yml:1: dataset 'cards' already has a suite in .*a\.yml; one suite per dataset$/,
    );
  });
});
