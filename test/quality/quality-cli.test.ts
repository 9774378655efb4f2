/**
 * The quality gate as users drive it: `quality --date D` (table, --json, --suite), `quality docs`, a bad suite
 * file (exit 2 naming file, line and what is allowed, before anything runs), and `run` held by a failing suite,
 * then loaded with --accept-quality-failures.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { runCli } from '../helpers/run-cli.ts';

const home = mkdtempSync(join(tmpdir(), 'quality-cli-'));
const cli = (...args: string[]) => runCli(['--home', home, ...args]);
const shipped = loadConfig({ home, cwd: home, env: {} }).qualitySuitesDir;

/** A copy of the shipped suites with `edit` applied to the transactions suite, in a folder of its own. */
function suitesWith(edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'suites-'));
  cpSync(shipped, dir, { recursive: true });
  const file = join(dir, 'transactions.yml');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return dir;
}

describe('fintech-etl quality', () => {
  beforeAll(async () => {
    writeFileSync(join(home, 'fintech-etl.yaml'), 'generator:\n  customers: 300\n  merchants: 50\n');
    const generated = await cli('generate', '--from', '2025-03-01', '--to', '2025-03-03', '--rows', '1500');
    expect(generated.status, generated.stderr).toBe(0);
    const run = await cli('run', '--date', '2025-03-01');
    expect(run.status, run.stderr).toBe(0);
  }, 120_000);

  it('prints a table of every expectation of the silver of a date, exit 0 when nothing failed', async () => {
    const result = await cli('quality', '--date', '2025-03-01');
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^quality of ingest date 2025-03-01: cards \d+ rows, customers 300 rows, merchants 50 rows, transactions \d+ rows$/,
    );
    expect(lines[1]).toMatch(/^STATUS\s+DATASET\s+EXPECTATION\s+PARTITION\s+OBSERVED$/);
    expect(result.stdout).toMatch(
      /\nPASS\s+transactions\s+expect_column_values_to_not_be_null\(transaction_id\)\s+ingest_date=2025-03-01\s+0\n/,
    );
    expect(result.stdout).toMatch(
      /\nPASS\s+transactions\s+expect_column_values_to_be_unique\(transaction_id\)\s+\d+ partitions\n/,
    );
    expect(result.stdout).toMatch(
      /\nSKIP\s+transactions\s+expect_table_row_count_to_be_within_ratio_of_trailing_median\(\)\s+ingest_date=2025-03-01\n/,
    );
    expect(lines.at(-1)).toMatch(
      /^\d+ results: \d+ passed, 0 failed, 0 warned, 5 not evaluated \(4 scans, 0 sample queries, /,
    );
  });

  it('prints one JSON document with --json, one suite with --suite', async () => {
    const result = await cli('--json', 'quality', '--date', '2025-03-01', '--suite', 'merchants');
    expect(result.status, result.stderr).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document).toMatchObject({
      ingest_date: '2025-03-01',
      outcome: 'passed',
      queries: { scans: 1, samples: 0 },
    });
    expect(document.datasets).toEqual([{ dataset: 'merchants', status: 'checked', files: 1, rows: 50 }]);
    expect(document.results.map((result: { status: string }) => result.status)).toEqual([
      'PASS',
      'PASS',
      'PASS',
      'PASS',
      'PASS',
    ]);
    const unknown = await cli('quality', '--date', '2025-03-01', '--suite', 'payments');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(
      /no suite named 'payments' in .*; suites: cards, customers, merchants, transactions/,
    );
  });

  it('exits 2 on a bad suite file, naming the file, the line and what is allowed, before anything runs', async () => {
    const dir = suitesWith((text) =>
      text.replace('kwargs: { column: customer_id }', 'kwargs: { colum: customer_id }'),
    );
    writeFileSync(join(home, 'bad.yaml'), `quality:\n  suites: ${dir}\n`);
    const run = await cli('--config', join(home, 'bad.yaml'), 'run', '--date', '2025-03-02');
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe(
      `fintech-etl: ${join(dir, 'transactions.yml')}:13: argument 'colum' is not allowed for expect_column_values_to_not_be_null; allowed: column, mostly, row_condition`,
    );
    // Refused before silver: nothing of 2025-03-02 was processed.
    expect(existsSync(join(home, 'lake', '_ledger', 'transactions', 'ingest_date=2025-03-02'))).toBe(false);
    const quality = await cli('--config', join(home, 'bad.yaml'), 'quality', '--date', '2025-03-01');
    expect(quality.status).toBe(2);
    expect(quality.stderr).toContain("transactions.yml:13: argument 'colum' is not allowed");
  });

  it('exits 2 on a suite naming a column silver lacks, holding the date it could not judge until a good run', async () => {
    const dir = suitesWith((text) =>
      text.replace('kwargs: { column: mcc, regex:', 'kwargs: { column: mcc_code, regex:'),
    );
    writeFileSync(join(home, 'column.yaml'), `quality:\n  suites: ${dir}\n`);
    const run = await cli('--config', join(home, 'column.yaml'), 'run', '--date', '2025-03-03');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(
        `run for 2025-03-03 failed in task quality: ${join(dir, 'transactions.yml').replaceAll('/', '\\/')}:\\d+: column 'mcc_code' of expect_column_values_to_match_regex is not a column of silver transactions; allowed: transaction_id, customer_id, `,
      ),
    );
    const holds = await cli(
      'query',
      'select cast(ingest_date as varchar) as d, status from audit.quality_holds',
      '--format',
      'json',
    );
    expect(JSON.parse(holds.stdout)).toEqual([{ d: '2025-03-03', status: 'held' }]);
    const good = await cli('run', '--date', '2025-03-03');
    expect(good.status, good.stderr).toBe(0);
    const loaded = await cli(
      'query',
      "select count(*) as n from core.fact_transactions where ingest_date = '2025-03-03'",
      '--format',
      'json',
    );
    expect(JSON.parse(loaded.stdout)[0].n).toBeGreaterThan(1000);
    const after = await cli('query', 'select count(*) as n from audit.quality_holds', '--format', 'json');
    expect(JSON.parse(after.stdout)).toEqual([{ n: 0 }]);
  }, 120_000);

  it('holds a date whose gate fails (exit 1, failures with observed values and samples), loads it when accepted', async () => {
    const dir = suitesWith((text) =>
      text.replace(
        'kwargs: { column: status, value_set: [approved, declined, reversed] }',
        'kwargs: { column: status, value_set: [approved, reversed] }',
      ),
    );
    writeFileSync(join(home, 'strict.yaml'), `quality:\n  suites: ${dir}\n`);
    const check = await cli('--config', join(home, 'strict.yaml'), 'quality', '--date', '2025-03-01');
    expect(check.status).toBe(1);
    expect(check.stdout).toMatch(
      /\nFAIL\s+transactions\s+expect_column_values_to_be_in_set\(status\)\s+ingest_date=2025-03-01\s+\d+\.\d+\n/,
    );
    expect(check.stdout).toMatch(
      /\n {10}\d+ of \d+ values are not in the set \([\d.]+%\); none allowed {2}\(.*transactions\.yml:\d+\)\n/,
    );
    expect(check.stdout).toMatch(/\n {12}\{"transaction_id":"T[^"]+","status":"declined"\}\n/);
    expect(check.stderr).toContain(
      'error expectation result(s) failed for 2025-03-01: transactions expect_column_values_to_be_in_set(status)',
    );

    const held = await cli('--config', join(home, 'strict.yaml'), 'run', '--date', '2025-03-02');
    expect(held.status).toBe(1);
    expect(held.stdout).toMatch(
      /FAIL quality .*1 failed: transactions expect_column_values_to_be_in_set\(status\) \[ingest_date=2025-03-02\] observed [\d.]+; ingest date 2025-03-02 held/,
    );
    expect(held.stdout).toMatch(/SKIP load/);
    // The failure report: the failed expectation with what it found and a sample of the rows.
    expect(held.stdout).toMatch(
      /failed expectation \S+\.expect_column_values_to_be_in_set\(status\) on transactions ingest_date=2025-03-02 \[error, fail\] — \d+ offending rows?\n {2}\d+ of \d+ values are not in the set/,
    );
    expect(held.stdout).toMatch(/\n {4}\{"transaction_id":"T[^"]+","status":"declined"\}\n/);
    expect(held.stderr).toMatch(/run for 2025-03-02 failed in task quality: /);
    const notLoaded = await cli(
      'query',
      "select count(*) as n from core.fact_transactions where ingest_date = '2025-03-02'",
      '--format',
      'json',
    );
    expect(JSON.parse(notLoaded.stdout)).toEqual([{ n: 0 }]);

    const accepted = await cli(
      '--config',
      join(home, 'strict.yaml'),
      '--json',
      'run',
      '--date',
      '2025-03-02',
      '--accept-quality-failures',
    );
    expect(accepted.status, accepted.stderr).toBe(0);
    // The held run is resumed from its quality task, whose output records the operator's decision.
    const summary = JSON.parse(accepted.stdout) as {
      resumed: boolean;
      tasks: { task: string; output: unknown }[];
    };
    expect(summary.resumed).toBe(true);
    expect(summary.tasks.find((task) => task.task === 'quality')?.output).toMatchObject({
      outcome: 'failed',
      accepted: true,
      releasing: true,
    });
    const loaded = await cli(
      'query',
      "select count(*) as n from core.fact_transactions where ingest_date = '2025-03-02'",
      '--format',
      'json',
    );
    expect(JSON.parse(loaded.stdout)[0].n).toBeGreaterThan(1000);
  }, 120_000);

  it('renders data docs: a page per recorded run and an index', async () => {
    const out = mkdtempSync(join(tmpdir(), 'docs-'));
    const result = await cli('--json', 'quality', 'docs', '--out', out);
    expect(result.status, result.stderr).toBe(0);
    const { pages } = JSON.parse(result.stdout) as {
      pages: { runId: string; ingestDate: string; file: string }[];
    };
    // run 2025-03-01, the good run of 2025-03-03 (the one with a bad suite recorded nothing), and the run of
    // 2025-03-02, whose accepting resume replaced its held record (a run keeps one record per date; the state
    // store keeps both tries); `quality --date` records nothing.
    expect(pages.map((page) => page.ingestDate)).toEqual(['2025-03-02', '2025-03-03', '2025-03-01']);
    expect(readdirSync(join(out, 'runs'))).toHaveLength(3);
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    expect(index).toContain('<span class="badge accepted">ACCEPTED</span>');
    const accepted = readFileSync(pages[0]!.file, 'utf8');
    expect(accepted).toContain('<code>expect_column_values_to_be_in_set(status)</code>');
    expect(accepted).toMatch(
      /<span class="badge fail">FAIL<\/span><\/td><td><code>expect_column_values_to_be_in_set\(status\)<\/code>/,
    );
    expect(accepted).toMatch(
      /unexpected rows \(sample\)<\/summary><table><tr><th>transaction_id<\/th><th>status<\/th><\/tr>/,
    );
    expect(accepted).not.toMatch(/<script|https?:\/\//);
  });
});
