/**
 * The quality gate's data docs (`fintech-etl quality docs` writes the same pages to disk) served from the run
 * records in the lake: `/data-docs/` lists the runs, `/data-docs/runs/<run>.html` shows one. The pages carry one
 * inline stylesheet and no script: they get a Content-Security-Policy of their own that allows exactly that
 * stylesheet, by its hash.
 */
import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import { redact } from '../../core/redact.ts';
import { DATA_DOCS_STYLE, pageName, renderIndexPage, renderRunPage } from '../../quality/render-data-docs.ts';
import type { WebData } from '../page-registry.ts';

const STYLE_HASH = createHash('sha256').update(DATA_DOCS_STYLE, 'utf8').digest('base64');
export const DATA_DOCS_POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${STYLE_HASH}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function registerDataDocs(app: Hono, data: WebData): void {
  const html = (body: string) =>
    new Response(redact(body), {
      headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': DATA_DOCS_POLICY },
    });
  app.get('/data-docs', (c) => c.redirect('/data-docs/', 301));
  const index = async () => {
    const records = (await data.lake.qualityRecords()).reverse();
    return html(
      renderIndexPage(records.map((record) => ({ record, file: `runs/${pageName(record.runId)}.html` }))),
    );
  };
  // A run page links back to `../index.html`, as the files on disk do.
  app.get('/data-docs/', index);
  app.get('/data-docs/index.html', index);
  app.get('/data-docs/runs/:file', async (c) => {
    const file = c.req.param('file');
    const record = (await data.lake.qualityRecords()).findLast(
      (candidate) => `${pageName(candidate.runId)}.html` === file,
    );
    if (!record) return c.notFound();
    return html(renderRunPage(record));
  });
}
