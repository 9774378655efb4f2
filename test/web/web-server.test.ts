/**
 * The web server's guarantees without a browser: it refuses to listen beyond loopback without the operator
 * token; every write needs that token (bearer header or the login form's HttpOnly session cookie); beyond
 * loopback every read needs it too; request parameters are validated, never SQL; responses carry a
 * Content-Security-Policy without inline script; the `serve` config block is checked like every other key.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load-config.ts';
import type { IsoDate } from '../../src/core/dates.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { generateBronze } from '../../src/generate/generate-bronze.ts';
import { GoldDatabase } from '../../src/web/data/gold-database.ts';
import { LakeFiles } from '../../src/web/data/lake-files.ts';
import { LineageReader } from '../../src/web/data/lineage-docs.ts';
import { RunStateReader } from '../../src/web/data/run-state-reader.ts';
import { CliLauncher } from '../../src/web/server/cli-launcher.ts';
import { OperatorAuth, SESSION_COOKIE } from '../../src/web/server/operator-auth.ts';
import { startWebServer } from '../../src/web/start-web-server.ts';
import { createWebApp } from '../../src/web/web-app.ts';
import { localLake, testSettings } from '../helpers/lake-files.ts';
import { runCli } from '../helpers/run-cli.ts';

const TOKEN = 'operator-token-for-tests-0123456789';
const BIN = fileURLToPath(new URL('../../bin/fintech-etl', import.meta.url));

describe('the web server', () => {
  let home: string;
  let gold: GoldDatabase;
  const apps = (token: string | undefined, readsNeedToken: boolean) => {
    const lake = new LakeFiles(localLake(join(home, 'lake')));
    const config = loadConfig({ home, cwd: home, env: {} });
    return createWebApp({
      data: {
        gold,
        lake,
        lineage: new LineageReader(config.projectDir, 'duckdb'),
        runs: RunStateReader.fromConfig(config, { env: {} }),
        launcher: new CliLauncher({ home, configFile: undefined, cwd: home, env: {} }),
      },
      auth: new OperatorAuth(token, readsNeedToken),
      currency: 'KRW',
      log: () => undefined,
    });
  };

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'fintech-web-'));
    gold = await GoldDatabase.open(new LakeFiles(localLake(join(home, 'lake'))));
  });

  afterAll(() => {
    gold.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('refuses to listen beyond loopback without serve.token, naming the fix', async () => {
    const config = loadConfig({ home, cwd: home, env: {} });
    const lake = localLake(join(home, 'lake'));
    for (const host of ['0.0.0.0', '::', '192.168.1.20']) {
      await expect(startWebServer({ config, lake, host, port: 0 }), host).rejects.toThrow(ConfigError);
    }
    await expect(startWebServer({ config, lake, host: '0.0.0.0', port: 0 })).rejects.toThrow(
      'serve: binding 0.0.0.0 would open the web app to the network; set serve.token',
    );
    const cli = await runCli(['--home', home, 'serve', '--host', '0.0.0.0', '--port', '0']);
    expect(cli.status).toBe(2);
    expect(cli.stderr).toContain('set serve.token');
  });

  it('fintech-etl serve lays the run grid out as the config cuts the DAG (silver.check_jobs)', async () => {
    const splitHome = mkdtempSync(join(tmpdir(), 'fintech-web-split-'));
    writeFileSync(join(splitHome, 'fintech-etl.yaml'), 'silver:\n  check_jobs: 3\n');
    // A day of bronze and no run yet: the page lays out the date's row with the configured tasks.
    await generateBronze({
      lake: localLake(join(splitHome, 'lake')),
      settings: testSettings({ rowsPerDay: 50, customers: 20, merchants: 5 }),
      from: '2025-03-01' as IsoDate,
      to: '2025-03-01' as IsoDate,
    });
    const child = spawn(BIN, ['--home', splitHome, 'serve', '--port', '0'], {
      cwd: splitHome,
      env: { ...process.env, FINTECH_ETL_HOME: '' },
    });
    try {
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          output += chunk;
          const match = /web app on (http:\/\/\S+)/.exec(output);
          if (match) resolve(match[1]!);
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${output}`)));
      });
      const body = (await (await fetch(new URL('/api/pipeline', url))).json()) as {
        grid: { tasks: string[] };
      };
      expect(body.grid.tasks).toEqual([
        'silver_check_1',
        'silver_check_2',
        'silver_check_3',
        'silver',
        'quality',
        'load',
        'models',
        'tests',
        'gold',
      ]);
    } finally {
      child.kill('SIGKILL');
      rmSync(splitHome, { recursive: true, force: true });
    }
  });

  it('refuses a configured token whose secret is not set', async () => {
    const config = parseConfig({ serve: { token: { env: 'FINTECH_TEST_SERVE_TOKEN' } } }, 'test');
    const resolved = { ...loadConfig({ home, cwd: home, env: {} }), serve: config.serve };
    await expect(
      startWebServer({ config: resolved, lake: localLake(join(home, 'lake')), port: 0, env: {} }),
    ).rejects.toThrow(
      "config key 'serve.token': the secret it refers to is not set (environment variable FINTECH_TEST_SERVE_TOKEN)",
    );
  });

  it('listens on loopback, serves pages, and stops', async () => {
    const server = await startWebServer({
      config: loadConfig({ home, cwd: home, env: {} }),
      lake: localLake(join(home, 'lake')),
      port: 0,
    });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(server.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<h1>Overview</h1>');
    } finally {
      await server.close();
    }
  });

  it('checks the serve config block like every other key', () => {
    expect(() => parseConfig({ serve: { port: 70000 } }, 'fintech-etl.yaml')).toThrow(
      "config key 'serve.port' has value 70000",
    );
    expect(() => parseConfig({ serve: { tokn: 'x' } }, 'fintech-etl.yaml')).toThrow(
      "unknown config key 'serve.tokn'",
    );
    expect(() => parseConfig({ serve: { token: 'plain-text' } }, 'fintech-etl.yaml')).toThrow(
      "config key 'serve.token'",
    );
    expect(parseConfig({}, 'defaults').serve).toEqual({ host: '127.0.0.1', port: 8080 });
  });

  it('refuses every write without the operator token, and all of them when none is configured', async () => {
    const readOnly = apps(undefined, false);
    const refused = await readOnly.request('/api/overview', { method: 'POST' });
    expect(refused.status).toBe(403);
    expect((await refused.json()).error).toContain('serve.token is not set');
    expect((await readOnly.request('/login')).status).toBe(404);

    const app = apps(TOKEN, false);
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token' },
      { authorization: `Basic ${TOKEN}` },
    ];
    for (const headers of attempts) {
      const response = await app.request('/api/overview', { method: 'POST', headers });
      expect(response.status).toBe(401);
      expect((await response.json()).error).toBe(
        'this action needs the operator token (Authorization: Bearer <token>, or sign in at /login)',
      );
    }
    for (const method of ['PUT', 'DELETE', 'PATCH'])
      expect((await app.request('/api/sales', { method })).status).toBe(401);
    // With the token the guard lets the request through (there is no such write yet: 404).
    const allowed = await app.request('/api/overview', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(allowed.status).toBe(404);
    // Reads stay open on loopback.
    expect((await app.request('/api/overview')).status).toBe(200);
  });

  it('signs an operator in with an HttpOnly session cookie, never the token itself, and out again', async () => {
    const app = apps(TOKEN, false);
    const form = (token: string) => new URLSearchParams({ token, next: '/merchants?page=2' });
    const wrong = await app.request('/login', { method: 'POST', body: form('not-it') });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('That is not the operator token.');
    const crossSite = await app.request('http://localhost/login', {
      method: 'POST',
      body: form(TOKEN),
      headers: { origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);

    const login = await app.request('http://localhost/login', {
      method: 'POST',
      body: form(TOKEN),
      headers: { origin: 'http://localhost' },
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/merchants?page=2');
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[\\w-]{40,};`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(';')[0]!;

    const write = await app.request('http://localhost/api/overview', {
      method: 'POST',
      headers: { cookie: session, origin: 'http://localhost' },
    });
    expect(write.status).toBe(404);
    const forged = await app.request('http://localhost/api/overview', {
      method: 'POST',
      headers: { cookie: session, origin: 'https://evil.example' },
    });
    expect(forged.status).toBe(403);
    const page = await app.request('/', { headers: { cookie: session } });
    expect(await page.text()).toContain('Sign out');

    const logout = await app.request('http://localhost/logout', {
      method: 'POST',
      headers: { cookie: session },
    });
    expect(logout.status).toBe(303);
    const after = await app.request('/api/overview', { method: 'POST', headers: { cookie: session } });
    expect(after.status).toBe(401);
    // An open redirect through `next` stays on this server.
    const offsite = await app.request('http://localhost/login', {
      method: 'POST',
      body: new URLSearchParams({ token: TOKEN, next: '//evil.example/' }),
    });
    expect(offsite.headers.get('location')).toBe('/');
  });

  it('beyond loopback, needs the token for every page and endpoint but the login form', async () => {
    const app = apps(TOKEN, true);
    const page = await app.request('/sales?channel=pos');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Fsales%3Fchannel%3Dpos');
    expect((await app.request('/api/sales')).status).toBe(401);
    expect((await app.request('/static/pages/sales.js')).status).toBe(401);
    expect((await app.request('/login')).status).toBe(200);
    expect((await app.request('/static/app.css')).status).toBe(200);
    const bearer = { authorization: `Bearer ${TOKEN}` };
    expect((await app.request('/api/sales', { headers: bearer })).status).toBe(200);
    expect((await app.request('/sales', { headers: bearer })).status).toBe(200);
  });

  it('sends a Content-Security-Policy without inline script, and pages without inline script', async () => {
    const app = apps(undefined, false);
    for (const path of ['/', '/sales', '/lineage', '/api/sales', '/static/app.css', '/nowhere']) {
      const response = await app.request(path);
      const policy = response.headers.get('content-security-policy')!;
      expect(policy, path).toContain("script-src 'self'");
      expect(policy, path).toContain("default-src 'none'");
      expect(policy, path).not.toContain('unsafe-inline');
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      if (response.headers.get('content-type')?.startsWith('text/html'))
        expect(await response.text(), path).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|\son\w+=/);
    }
    const echarts = await app.request('/static/vendor/echarts.min.js');
    expect(echarts.status).toBe(200);
    expect(echarts.headers.get('content-type')).toContain('text/javascript');
    expect((await app.request('/static/%2e%2e/web-app.ts')).status).toBe(404);
    expect((await app.request('/static/../../package.json')).status).toBe(404);
  });

  it('takes only validated parameters: a bad value is a 400 naming it, never SQL, never echoing a PAN', async () => {
    const app = apps(undefined, false);
    const cases: [string, string][] = [
      ['/api/sales?from=2025-13-01', "parameter 'from' is not a date (YYYY-MM-DD): '2025-13-01'"],
      [
        '/api/merchants?sort=net_amount%3Bdrop%20table%20x',
        "parameter 'sort' has value 'net_amount;drop table x'; allowed: merchant_id",
      ],
      ['/api/merchants?page=0', "parameter 'page' must be an integer from 1 to 10000, got '0'"],
      [
        '/api/customers?segment=%27%20or%201%3D1%20--',
        "parameter 'segment' has value '' or 1=1 --'; allowed: Champions",
      ],
      ['/api/data-health?reason=4111111111111111', "parameter 'reason' has value '411111******1111'"],
      [
        '/api/overview?date=4111111111111111',
        "parameter 'date' is not a date (YYYY-MM-DD): '411111******1111'",
      ],
    ];
    // The lake is empty: parameters are checked before any data is read.
    for (const [path, message] of cases) {
      const response = await app.request(path);
      expect(response.status, path).toBe(400);
      const body = await response.text();
      expect(JSON.parse(body).error, path).toContain(message);
      expect(body, path).not.toMatch(/\d{12,19}/);
    }
    const unknown = await app.request('/api/nothing-here');
    expect(unknown.status).toBe(404);
    const pan = await app.request('/4111111111111111');
    expect(pan.status).toBe(404);
    expect(await pan.text()).not.toContain('4111111111111111');
  });
});
