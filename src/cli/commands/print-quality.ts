/**
 * How gate results read on a terminal: one line per expectation (per-partition ones that all passed folded into
 * one line), and under each failure what it observed and a few unexpected rows. Shared by `quality` and the
 * quality part of `run`'s summary.
 */
import type { ExpectationResult, QualityGateResult } from '../../quality/quality-result.ts';
import { statusOf } from '../../quality/render-data-docs.ts';

const SAMPLE_LINES = 5;

interface Line {
  status: string;
  dataset: string;
  expectation: string;
  partition: string;
  observed: string;
}

/** The observed value in a few words: relative ones as their ratio or largest share move. */
function observedText(result: ExpectationResult): string {
  const observed = result.observed;
  if (observed === null) return '';
  if (Array.isArray(observed) && observed.length && typeof observed[0] === 'object' && observed[0] !== null) {
    const top = observed[0] as { value: string; share: string; trailing_share: string };
    const points = (share: string) => `${(Number(share) * 100).toFixed(2)}%`;
    return `${top.value} ${points(top.share)} (trailing ${points(top.trailing_share)})`;
  }
  if (typeof observed === 'object' && !Array.isArray(observed) && 'ratio' in observed) {
    const { ratio, value, trailing_median } = observed as {
      ratio: string | null;
      value: string;
      trailing_median: string;
    };
    return `×${ratio ?? '?'} (${value} vs median ${trailing_median})`;
  }
  const text = typeof observed === 'string' ? observed : JSON.stringify(observed);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Every result, passing per-partition ones folded per expectation. */
export function qualityTable(gate: QualityGateResult): string[] {
  const lines: (Line & { result?: ExpectationResult })[] = [];
  const folded = new Map<string, number>();
  for (const result of gate.results) {
    const status = statusOf(result);
    const perPartition = !/^(ingest_date|snapshot_date)=/.test(result.partition);
    if (perPartition && status === 'PASS') {
      const key = `${result.dataset}\u0000${result.expectationId}`;
      if (!folded.has(key)) {
        folded.set(key, lines.length);
        lines.push({
          status,
          dataset: result.dataset,
          expectation: result.expectationId,
          partition: '',
          observed: '',
        });
      }
      const line = lines[folded.get(key)!]!;
      const count = Number(line.partition.split(' ')[0] || 0) + 1;
      line.partition = `${count} partition${count === 1 ? '' : 's'}`;
      continue;
    }
    lines.push({
      status,
      dataset: result.dataset,
      expectation: result.expectationId,
      partition: result.partition,
      observed: observedText(result),
      result,
    });
  }
  const widths = {
    dataset: Math.max(7, ...lines.map((line) => line.dataset.length)),
    expectation: Math.max(11, ...lines.map((line) => line.expectation.length)),
    partition: Math.max(9, ...lines.map((line) => line.partition.length)),
  };
  const row = (line: Line) =>
    `${line.status.padEnd(8)}${line.dataset.padEnd(widths.dataset + 2)}${line.expectation.padEnd(widths.expectation + 2)}${line.partition.padEnd(widths.partition + 2)}${line.observed}`.trimEnd();
  const out = [
    row({
      status: 'STATUS',
      dataset: 'DATASET',
      expectation: 'EXPECTATION',
      partition: 'PARTITION',
      observed: 'OBSERVED',
    }),
  ];
  for (const line of lines) {
    out.push(row(line));
    if (line.result && (line.status === 'FAIL' || line.status === 'WARN'))
      out.push(...failureDetail(line.result));
  }
  return out;
}

/** The details sentence and the first sample rows of a failed expectation, indented. */
export function failureDetail(result: ExpectationResult): string[] {
  const lines = [`          ${result.details}  (${result.location.file}:${result.location.line})`];
  for (const sample of result.sample.slice(0, SAMPLE_LINES))
    lines.push(`            ${JSON.stringify(sample)}`);
  if (result.sample.length > SAMPLE_LINES) {
    lines.push(
      `          … ${result.sample.length - SAMPLE_LINES} more in the results (audit.quality_results, quality docs)`,
    );
  }
  return lines;
}

export function qualityCounts(gate: QualityGateResult): string {
  const counts = { PASS: 0, FAIL: 0, WARN: 0, SKIP: 0 };
  for (const result of gate.results) counts[statusOf(result)]++;
  return (
    `${gate.results.length} results: ${counts.PASS} passed, ${counts.FAIL} failed, ${counts.WARN} warned, ` +
    `${counts.SKIP} not evaluated (${gate.queries.scans} scans, ${gate.queries.samples} sample ${gate.queries.samples === 1 ? 'query' : 'queries'}, ${gate.seconds.toFixed(2)} s)`
  );
}

/** The JSON of a gate result for `--json` (results with their samples, metrics, what was scanned). */
export function qualityJson(gate: QualityGateResult) {
  return {
    run_id: gate.runId,
    ingest_date: gate.ingestDate,
    outcome: gate.outcome,
    datasets: gate.datasets,
    batch: {
      files: gate.batch.transactionFiles.length,
      event_dates: gate.batch.eventDates,
      source: gate.batch.source,
    },
    queries: gate.queries,
    seconds: gate.seconds,
    results: gate.results.map((result) => ({ status: statusOf(result), ...result })),
    metrics: gate.metrics,
  };
}
