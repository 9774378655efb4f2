import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IsoDate } from '../core/dates.ts';
import type { ExpectationResult } from './quality-result.ts';
import type { QualityRunRecord } from './quality-results-store.ts';
import { writeDataDocs } from './render-data-docs.ts';

const result = (overrides: Partial<ExpectationResult>): ExpectationResult => ({
  suite: 'transactions',
  dataset: 'transactions',
  expectationId: 'expect_column_values_to_be_in_set(currency)',
  expectation: 'expect_column_values_to_be_in_set',
  column: 'currency',
  severity: 'error',
  partition: 'ingest_date=2025-03-01',
  success: true,
  observed: 0,
  elementCount: 10,
  unexpectedCount: 0,
  unexpectedPercent: 0,
  details: '0 of 10 values are not in the set (0%); none allowed',
  sample: [],
  location: { file: 'pipeline/suites/transactions.yml', line: 12 },
  kwargs: { column: 'currency' },
  ...overrides,
});

const record = (
  runId: string,
  evaluatedAt: string,
  results: ExpectationResult[],
  accepted = false,
): QualityRunRecord => ({
  runId,
  ingestDate: '2025-03-01' as IsoDate,
  evaluatedAt,
  outcome: results.some((r) => r.success === false && r.severity === 'error') ? 'failed' : 'passed',
  results,
  metrics: { transactions: { row_count: { kind: 'count', value: 10 } } },
  datasets: [{ dataset: 'transactions', status: 'checked', files: 2, rows: 10 }],
  batch: { transactionFiles: ['a', 'b'], eventDates: ['2025-03-01' as IsoDate], source: 'written' },
  queries: { scans: 1, samples: 1, total: 3 },
  seconds: 0.5,
  cpuSeconds: 0.4,
  accepted,
});

describe('data docs', () => {
  it('writes a page per run, newest first in the index, with statuses, observed values and escaped samples', async () => {
    const out = mkdtempSync(join(tmpdir(), 'docs-'));
    const failed = result({
      success: false,
      observed: 10,
      unexpectedCount: 1,
      unexpectedPercent: 10,
      details: '1 of 10 values are not in the set (10%); none allowed',
      sample: [{ transaction_id: 'T1', currency: '<b>XXX</b>' }],
    });
    const warned = result({ expectationId: 'w', severity: 'warn', success: false, observed: null });
    const skipped = result({
      expectationId: 's',
      success: null,
      observed: null,
      details: 'not evaluated: no history',
    });
    const pages = await writeDataDocs(
      [
        record('run-a', '2025-03-01T10:00:00.000Z', [result({})]),
        record('run/b', '2025-03-02T10:00:00.000Z', [failed, warned, skipped], true),
      ],
      out,
    );
    expect(pages.map((page) => [page.runId, page.file])).toEqual([
      ['run/b', join('runs', 'run_b.html')],
      ['run-a', join('runs', 'run-a.html')],
    ]);
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    expect(index.indexOf('run/b')).toBeLessThan(index.indexOf('run-a'));
    expect(index).toContain(
      '<a href="runs/run_b.html">run/b</a></td><td><span class="badge accepted">ACCEPTED</span>',
    );
    expect(index).toContain('0 passed, 1 failed, 1 warned, 1 not evaluated');
    const page = readFileSync(join(out, pages[0]!.file), 'utf8');
    expect(page).toContain(
      '<span class="badge fail">FAIL</span></td><td><code>expect_column_values_to_be_in_set(currency)</code>',
    );
    expect(page).toContain('pipeline/suites/transactions.yml:12 · error');
    expect(page).toContain('<span class="badge warn">WARN</span>');
    expect(page).toContain('<span class="badge skip">SKIP</span>');
    expect(page).toContain('<td class="num">1</td><td class="num">10%</td>');
    expect(page).toContain('<td><code>&#60;b&#62;XXX&#60;/b&#62;</code></td>');
    expect(page).not.toContain('<b>XXX</b>');
  });
});
