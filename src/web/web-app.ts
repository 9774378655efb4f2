/**
 * The web app as a Hono application: security headers on every response, the operator-token gate, the static
 * files, one HTML route and one data endpoint per registered page, and the login form. Built from readers and
 * the token check alone, so tests run it in process and `serve` puts it on a socket.
 */

import type { Context } from 'hono';
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { redact } from '../core/redact.ts';
import { NoDataYet } from './data/gold-database.ts';
import { PAGES, type WebData, type WebPage } from './page-registry.ts';
import { registerDataDocs } from './server/data-docs.ts';
import { type OperatorAuth, SESSION_COOKIE } from './server/operator-auth.ts';
import { BadRequest, QueryParams } from './server/query-params.ts';
import { renderLogin, renderMessage, renderPage } from './server/render-page.ts';
import { loadStaticFiles } from './server/static-files.ts';

export interface WebAppOptions {
  data: WebData;
  auth: OperatorAuth;
  /** The reporting currency (config `reporting_currency`): every amount on the pages is in it. */
  currency: string;
  pages?: readonly WebPage[];
  /** Where unexpected errors are reported (never to the client); default stderr. */
  log?: (line: string) => void;
}

/** What every empty page says: no gold marts have been exported yet. */
export const NO_DATA_MESSAGE = 'No data yet — run `fintech-etl demo` (or `fintech-etl run --date D`) first';

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function createWebApp(options: WebAppOptions): Hono {
  const pages = options.pages ?? PAGES;
  const { auth, data } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const staticFiles = loadStaticFiles();
  const app = new Hono();

  const isOperator = (c: Context) =>
    auth.isOperator(c.req.header('authorization'), getCookie(c, SESSION_COOKIE));

  app.use('*', async (c, next) => {
    await next();
    // A route with a policy of its own (the data docs) keeps it.
    if (!c.res.headers.has('Content-Security-Policy'))
      c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('X-Frame-Options', 'DENY');
    // Not no-referrer: under it Chromium sends `Origin: null` with the app's own form posts, which the
    // cross-site check below must refuse. same-origin sends nothing to other sites either.
    c.header('Referrer-Policy', 'same-origin');
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  });

  // Writes: only the operator, and with a session cookie only from the app's own pages.
  app.use('*', async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || c.req.path === '/login') return next();
    if (!auth.hasToken)
      return c.json(
        { error: 'this server is read-only: writes need the operator token, and serve.token is not set' },
        403,
      );
    if (!isOperator(c))
      return c.json(
        {
          error: 'this action needs the operator token (Authorization: Bearer <token>, or sign in at /login)',
        },
        401,
      );
    if (!c.req.header('authorization') && !sameOrigin(c))
      return c.json({ error: 'cross-site request refused' }, 403);
    return next();
  });

  // Reads: open on loopback; beyond it, the token is needed for everything but the login form and its style.
  app.use('*', async (c, next) => {
    const path = c.req.path;
    if (!auth.readsNeedToken || path === '/login' || path === '/static/app.css' || isOperator(c))
      return next();
    if (path.startsWith('/api/') || path.startsWith('/static/'))
      return c.json({ error: 'sign in first: this server needs the operator token' }, 401);
    const url = new URL(c.req.url);
    return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
  });

  app.get('/static/*', (c) => {
    const file = staticFiles.get(c.req.path);
    if (!file) return c.text('not found', 404);
    const headers = { ETag: file.etag, 'Cache-Control': 'no-cache' };
    if (c.req.header('if-none-match') === file.etag) return c.body(null, 304, headers);
    return c.body(file.body, 200, { ...headers, 'Content-Type': file.contentType });
  });

  app.get('/login', (c) => {
    if (!auth.hasToken)
      return c.html(
        renderMessage(
          'Sign in',
          'No operator token is configured (serve.token): this server is read-only.',
          pages,
        ),
        404,
      );
    return c.html(renderLogin({ next: localPath(c.req.query('next')), pages }));
  });

  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const next = localPath(typeof form['next'] === 'string' ? form['next'] : undefined);
    if (!auth.hasToken)
      return c.html(renderMessage('Sign in', 'No operator token is configured (serve.token).', pages), 403);
    if (!sameOrigin(c)) return c.json({ error: 'cross-site request refused' }, 403);
    const token = typeof form['token'] === 'string' ? form['token'] : undefined;
    if (!auth.tokenMatches(token))
      return c.html(renderLogin({ next, error: 'That is not the operator token.', pages }), 401);
    const session = auth.startSession();
    setCookie(c, SESSION_COOKIE, session.id, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      maxAge: session.maxAgeSeconds,
    });
    return c.redirect(next, 303);
  });

  app.post('/logout', (c) => {
    auth.endSession(getCookie(c, SESSION_COOKIE));
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.redirect('/', 303);
  });

  for (const page of pages) {
    app.get(page.path, (c) =>
      c.html(
        renderPage(
          page,
          {
            pages,
            currency: options.currency,
            operator: auth.hasToken && isOperator(c),
            loginAvailable: auth.hasToken,
          },
          new URL(c.req.url).search,
        ),
      ),
    );
    const endpoints = { '': page.load, ...page.endpoints };
    for (const [name, load] of Object.entries(endpoints)) {
      app.get(`/api/${page.id}${name ? `/${name}` : ''}`, async (c) => {
        try {
          const body = await load(QueryParams.of(c.req.url), data);
          return c.json({ currency: options.currency, ...body });
        } catch (error) {
          if (error instanceof BadRequest) return c.json({ error: redact(error.message) }, 400);
          if (error instanceof NoDataYet)
            return c.json({ currency: options.currency, empty: true, message: NO_DATA_MESSAGE });
          throw error;
        }
      });
    }
    for (const [name, action] of Object.entries(page.actions ?? {})) {
      // The write gate above has let only the operator through.
      app.post(`/api/${page.id}/${name}`, async (c) => {
        let body: unknown;
        try {
          body = await c.req.json();
        } catch {
          return c.json({ error: 'the request body must be a JSON object' }, 400);
        }
        if (body === null || typeof body !== 'object' || Array.isArray(body))
          return c.json({ error: 'the request body must be a JSON object' }, 400);
        try {
          const result = await action(QueryParams.fromObject(body as Record<string, unknown>), data);
          return c.json(result.body, result.status);
        } catch (error) {
          if (error instanceof BadRequest) return c.json({ error: redact(error.message) }, 400);
          throw error;
        }
      });
    }
  }

  registerDataDocs(app, data);
  // Pages the app did not write (the data docs) name no icon: the browser asks for this one.
  app.get('/favicon.ico', (c) => c.body(null, 204));

  app.notFound((c) =>
    c.req.path.startsWith('/api/')
      ? c.json({ error: `no such endpoint: ${redact(c.req.path)}` }, 404)
      : c.html(renderMessage('Not found', `There is no page at ${redact(c.req.path)}.`, pages), 404),
  );

  app.onError((error, c) => {
    log(`fintech-etl serve: ${c.req.method} ${c.req.path} failed: ${redact(error.stack ?? error.message)}`);
    return c.req.path.startsWith('/api/')
      ? c.json({ error: 'the server failed to answer this request; its log says why' }, 500)
      : c.html(
          renderMessage('Error', 'The server failed to answer this request; its log says why.', pages),
          500,
        );
  });

  return app;
}

/** A redirect target from the login form: a path on this server, never another site. */
function localPath(next: string | undefined): string {
  return next && /^\/(?![/\\])/.test(next) ? next : '/';
}

/** A browser's write from another site carries that site's Origin; a same-site form post carries ours or none. */
function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (!origin || origin === 'null') return origin === undefined;
  return origin === new URL(c.req.url).origin;
}
