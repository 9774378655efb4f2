/**
 * Data docs (the Great Expectations idea): a static HTML page per gate run — suites, expectations, pass/fail,
 * observed values, unexpected counts and samples — and an index of the runs, from the results the lake keeps.
 * Self-contained pages (inline CSS, no script, no CDN), so they open from disk and any web server can host them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExpectationResult, JsonValue } from './quality-result.ts';
import type { QualityRunRecord } from './quality-results-store.ts';

export interface DataDocsPage {
  runId: string;
  ingestDate: string;
  /** Relative to the output folder. */
  file: string;
}

/** Writes `index.html` and `runs/<run>.html` under `outDir`; returns the run pages, newest first. */
export async function writeDataDocs(records: QualityRunRecord[], outDir: string): Promise<DataDocsPage[]> {
  await mkdir(join(outDir, 'runs'), { recursive: true });
  const pages = [...records]
    .sort((a, b) => b.evaluatedAt.localeCompare(a.evaluatedAt))
    .map((record) => ({ record, file: join('runs', `${pageName(record.runId)}.html`) }));
  for (const { record, file } of pages) await writeFile(join(outDir, file), renderRunPage(record));
  await writeFile(
    join(outDir, 'index.html'),
    renderIndexPage(pages.map(({ record, file }) => ({ record, file }))),
  );
  return pages.map(({ record, file }) => ({ runId: record.runId, ingestDate: record.ingestDate, file }));
}

export function pageName(runId: string): string {
  return runId.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** The pages' one inline stylesheet (a server that hosts them allows it by its hash). */
export const DATA_DOCS_STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1d2330; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border-bottom: 1px solid #dde2ea; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f5f9; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } td.partition { white-space: nowrap; }
code, pre { font: 12px ui-monospace, monospace; } pre { margin: 0; white-space: pre-wrap; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: .6rem; font-size: 12px; font-weight: 600; }
.pass { background: #dcf5e3; color: #17602f; } .fail { background: #fbdcdc; color: #8a1c1c; }
.warn { background: #fdf0cf; color: #7a5300; } .skip { background: #e8ebf0; color: #4a5363; }
.outcome { font-size: 1rem; } .muted { color: #667085; }
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(title)}</title>\n<style>${DATA_DOCS_STYLE}</style>\n</head>\n<body>\n${body}\n</body>\n</html>\n`;
}

/** PASS / FAIL / WARN (a failed warn expectation) / SKIP (not evaluated). */
export function statusOf(
  result: Pick<ExpectationResult, 'success' | 'severity'>,
): 'PASS' | 'FAIL' | 'WARN' | 'SKIP' {
  if (result.success === null) return 'SKIP';
  if (result.success) return 'PASS';
  return result.severity === 'warn' ? 'WARN' : 'FAIL';
}

function badge(status: string): string {
  return `<span class="badge ${status.toLowerCase()}">${status}</span>`;
}

function outcomeOf(record: QualityRunRecord): string {
  if (record.outcome === 'passed') return 'PASS';
  return record.accepted ? 'ACCEPTED' : 'FAIL';
}

function json(value: JsonValue | JsonValue[] | { [key: string]: JsonValue }): string {
  return `<pre>${escapeHtml(JSON.stringify(value, null, 1))}</pre>`;
}

function sampleTable(sample: ExpectationResult['sample']): string {
  if (sample.length === 0) return '';
  const columns = [...new Set(sample.flatMap((row) => Object.keys(row)))];
  const head = columns.map((column) => `<th>${escapeHtml(column)}</th>`).join('');
  const rows = sample
    .map(
      (row) =>
        `<tr>${columns.map((column) => `<td><code>${escapeHtml(row[column] === undefined || row[column] === null ? 'null' : typeof row[column] === 'string' ? (row[column] as string) : JSON.stringify(row[column]))}</code></td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<details><summary>${sample.length} unexpected ${sample.length === 1 ? 'row' : 'rows'} (sample)</summary><table><tr>${head}</tr>\n${rows}</table></details>`;
}

export function renderRunPage(record: QualityRunRecord): string {
  const counts = countStatuses(record.results);
  const datasets = record.datasets
    .map(
      (dataset) =>
        `<tr><td>${escapeHtml(dataset.dataset)}</td><td>${dataset.status}</td><td class="num">${dataset.files}</td><td class="num">${dataset.rows}</td></tr>`,
    )
    .join('\n');
  const suites = [...new Set(record.results.map((result) => result.suite))].map((suite) => {
    const results = record.results.filter((result) => result.suite === suite);
    const rows = results
      .map((result) => {
        const status = statusOf(result);
        return `<tr class="${status.toLowerCase()}-row"><td>${badge(status)}</td><td><code>${escapeHtml(result.expectationId)}</code><div class="muted">${escapeHtml(result.location.file)}:${result.location.line} · ${result.severity}</div></td><td class="partition">${escapeHtml(result.partition)}</td><td>${json(result.observed)}</td><td class="num">${result.unexpectedCount ?? ''}</td><td class="num">${result.unexpectedPercent === null ? '' : `${result.unexpectedPercent}%`}</td><td>${escapeHtml(result.details)}${sampleTable(result.sample)}</td></tr>`;
      })
      .join('\n');
    return `<h2>Suite ${escapeHtml(suite)} <span class="muted">(${escapeHtml(results[0]!.dataset)})</span></h2>
<table><tr><th>status</th><th>expectation</th><th>partition</th><th>observed</th><th>unexpected</th><th>%</th><th>details</th></tr>
${rows}</table>`;
  });
  const body = `<p><a href="../index.html">← all runs</a></p>
<h1>Data docs · ingest date ${escapeHtml(record.ingestDate)}</h1>
<p class="outcome">${badge(outcomeOf(record))} run <code>${escapeHtml(record.runId)}</code> · evaluated ${escapeHtml(record.evaluatedAt)} · ${counts}</p>
<p class="muted">${record.queries.scans} scans, ${record.queries.samples} sample ${record.queries.samples === 1 ? 'query' : 'queries'}, ${record.seconds.toFixed(2)} s · batch of ${record.batch.transactionFiles.length} transaction files over ${record.batch.eventDates.length} event dates (${record.batch.source === 'written' ? "the run's silver commit" : 'found through the version index'})</p>
<table><tr><th>dataset</th><th>status</th><th>files</th><th>rows</th></tr>
${datasets}</table>
${suites.join('\n')}
<h2>Metrics</h2>
<p class="muted">What later runs compare themselves with (relative expectations).</p>
${json(record.metrics as unknown as JsonValue)}`;
  return page(`Data docs ${record.ingestDate} ${record.runId}`, body);
}

function countStatuses(results: ExpectationResult[]): string {
  const counts = { PASS: 0, FAIL: 0, WARN: 0, SKIP: 0 };
  for (const result of results) counts[statusOf(result)]++;
  return `${counts.PASS} passed, ${counts.FAIL} failed, ${counts.WARN} warned, ${counts.SKIP} not evaluated`;
}

export function renderIndexPage(runs: { record: QualityRunRecord; file: string }[]): string {
  const rows = runs
    .map(
      ({ record, file }) =>
        `<tr><td>${escapeHtml(record.ingestDate)}</td><td><a href="${escapeHtml(file)}">${escapeHtml(record.runId)}</a></td><td>${badge(outcomeOf(record))}</td><td>${escapeHtml(countStatuses(record.results))}</td><td>${escapeHtml(record.evaluatedAt)}</td></tr>`,
    )
    .join('\n');
  const body = `<h1>Data docs · quality gate runs</h1>
<p class="muted">${runs.length} ${runs.length === 1 ? 'run' : 'runs'}, newest first.</p>
<table><tr><th>ingest date</th><th>run</th><th>outcome</th><th>expectations</th><th>evaluated</th></tr>
${rows}</table>`;
  return page('Data docs · quality gate runs', body);
}
