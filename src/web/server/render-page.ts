/**
 * The HTML of a page: the navigation of every registered page, the page's title, summary and skeleton, and
 * its scripts. No inline script or style (the Content-Security-Policy forbids them): the page's script fills the
 * skeleton from its data endpoint.
 */
import type { WebPage } from '../page-registry.ts';
import { ECHARTS_URL } from './static-files.ts';

/** The shared modules every page script imports, fetched in parallel with it instead of after it. */
const MODULES = [
  '/static/lib/page.js',
  '/static/lib/dom.js',
  '/static/lib/format.js',
  '/static/lib/table.js',
];

export interface PageContext {
  pages: readonly WebPage[];
  currency: string;
  /** The visitor holds the operator token (shows "signed in" and a sign-out button). */
  operator: boolean;
  /** A token is configured, so the login form exists. */
  loginAvailable: boolean;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * @param search the request's query string: the page's data is preloaded with it, so the data request runs
 * while ECharts loads instead of after it.
 */
export function renderPage(page: WebPage, context: PageContext, search: string): string {
  const api = `/api/${page.id}${search}`;
  const scripts = [
    // A card number typed into the URL is not echoed back into the page.
    /\d{12}/.test(search) ? '' : `<link rel="preload" href="${escapeHtml(api)}" as="fetch" crossorigin>`,
    ...[...MODULES, ...(page.charts ? ['/static/lib/charts.js'] : [])].map(
      (module) => `<link rel="modulepreload" href="${module}">`,
    ),
    page.charts ? `<script src="${ECHARTS_URL}" defer></script>` : '',
    `<script type="module" src="/static/pages/${page.id}.js"></script>`,
  ].join('\n');
  return shell({
    title: page.title,
    head: scripts,
    bodyAttributes:
      `data-page="${escapeHtml(page.id)}" data-api="/api/${escapeHtml(page.id)}" data-currency="${escapeHtml(context.currency)}"` +
      // What the page may offer: write buttons for the operator, a sign-in link where a token exists.
      (context.operator ? ' data-operator="true"' : '') +
      (context.loginAvailable ? ' data-login="true"' : ''),
    nav: navigation(context.pages, page, context),
    main: `<h1>${escapeHtml(page.title)}</h1>
<p class="summary">${escapeHtml(page.summary)}</p>
<div class="status" id="status" role="status" aria-live="polite">Loading…</div>
<div class="content" id="content">${page.body}</div>`,
  });
}

export function renderLogin(options: { next: string; error?: string; pages: readonly WebPage[] }): string {
  return shell({
    title: 'Sign in',
    head: '',
    bodyAttributes: 'data-page="login"',
    nav: navigation(options.pages, undefined, { operator: false, loginAvailable: true }),
    main: `<h1>Sign in</h1>
<p class="summary">Enter the operator token (config <code>serve.token</code>).</p>
${options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''}
<form class="login card" method="post" action="/login">
  <input type="hidden" name="next" value="${escapeHtml(options.next)}">
  <label>Token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
  <button type="submit">Sign in</button>
</form>`,
  });
}

export function renderMessage(title: string, message: string, pages: readonly WebPage[]): string {
  return shell({
    title,
    head: '',
    bodyAttributes: 'data-page="message"',
    nav: navigation(pages, undefined, { operator: false, loginAvailable: false }),
    main: `<h1>${escapeHtml(title)}</h1><p class="summary">${escapeHtml(message)}</p>`,
  });
}

function navigation(
  pages: readonly WebPage[],
  current: WebPage | undefined,
  context: Pick<PageContext, 'operator' | 'loginAvailable'>,
): string {
  const links = pages
    .map(
      (page) =>
        `<a href="${escapeHtml(page.path)}"${page === current ? ' aria-current="page"' : ''}>${escapeHtml(page.title)}</a>`,
    )
    .join('');
  const account = context.operator
    ? '<form method="post" action="/logout" class="account"><span>operator</span><button type="submit">Sign out</button></form>'
    : context.loginAvailable
      ? '<a class="account" href="/login">Sign in</a>'
      : '';
  return `<nav class="top" aria-label="Pages"><a class="brand" href="/">fintech-etl</a>${links}${account}</nav>`;
}

function shell(parts: {
  title: string;
  head: string;
  bodyAttributes: string;
  nav: string;
  main: string;
}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(parts.title)} · fintech-etl</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/app.css">
${parts.head}
</head>
<body ${parts.bodyAttributes}>
<header>${parts.nav}</header>
<main>${parts.main}</main>
</body>
</html>
`;
}
