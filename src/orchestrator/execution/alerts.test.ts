import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type ControlPlaneFixture,
  controlPlaneFixture,
  logEvents,
} from '../../../test/orchestrator/helpers/control-plane-fixture.ts';
import type { IsoDate } from '../../core/dates.ts';
import { redact } from '../../core/redact.ts';
import { defineDag } from '../definitions/dag.ts';
import { defineTask } from '../definitions/task-definition.ts';
import { resolveAlertTargets, slackMessage, webhookAlerts } from './alerts.ts';
import { runDag } from './run-dag.ts';

interface Received {
  path: string;
  contentType: string | undefined;
  body: { text: string; blocks: unknown[] };
}

let server: Server;
let base: string;
let received: Received[] = [];
let failWith = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({
        path: request.url ?? '',
        contentType: request.headers['content-type'],
        body: JSON.parse(body),
      });
      response.statusCode = failWith || 200;
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

let fixture: ControlPlaneFixture;
afterEach(async () => {
  received = [];
  failWith = 0;
  await fixture?.store.close();
});

describe('alerts', () => {
  it('posts retry, failure and recovery messages with the date, task, error and how to see the log', async () => {
    fixture = controlPlaneFixture();
    const webhook = `${base}/services/T000/B000/secret-token-123`;
    const targets = await resolveAlertTargets(
      [{ webhook: { env: 'ALERT_WEBHOOK' }, on: ['failure', 'recovery', 'retry'] }],
      { home: fixture.home, env: { ALERT_WEBHOOK: webhook } },
    );
    let healthy = false;
    const load = defineTask({
      name: 'load',
      retry: { retries: 1, retryDelay: 30, backoff: 'none' },
      run: async () => {
        if (!healthy) throw new Error('could not connect to warehouse at 127.0.0.1:5432');
        return { rows: 1 };
      },
    });
    const dag = defineDag({ name: 'daily_batch_etl', tasks: [load] });
    const alerts = webhookAlerts(targets);
    const base_ = {
      dag,
      store: fixture.store,
      logicalDate: '2025-03-01' as IsoDate,
      logsDir: fixture.logsDir,
      clock: fixture.clock,
      alerts,
    };
    const failed = await runDag(base_);
    expect(failed.outcome).toBe('failed');
    expect(received.map((r) => [r.path, r.contentType])).toEqual([
      ['/services/T000/B000/secret-token-123', 'application/json'],
      ['/services/T000/B000/secret-token-123', 'application/json'],
    ]);
    const log = `${fixture.logsDir}/${failed.runId}/load`;
    expect(received[0]!.body.text).toBe(
      ':large_orange_circle: daily_batch_etl 2025-03-01: task load failed (try 1), retrying in 30 s: could not ' +
        `connect to warehouse at 127.0.0.1:5432\nLog: \`fintech-etl logs ${failed.runId} load --try 1\` (${log}/try-1.log)`,
    );
    expect(received[1]!.body.text).toBe(
      ':red_circle: daily_batch_etl 2025-03-01: task load failed (try 2): could not connect to warehouse at ' +
        `127.0.0.1:5432\nLog: \`fintech-etl logs ${failed.runId} load --try 2\` (${log}/try-2.log)`,
    );
    expect(received[1]!.body.blocks).toHaveLength(2);

    healthy = true;
    const recovered = await runDag(base_);
    expect(recovered.outcome).toBe('success');
    expect(received[2]!.body.text).toBe(
      `:large_green_circle: daily_batch_etl 2025-03-01 succeeded after an earlier failure\nLog: \`fintech-etl logs ${failed.runId}\``,
    );
    // The resolved URL is a secret from now on.
    expect(redact(`posting to ${webhook}`)).toBe('posting to ***');
  });

  it('only sends the events a webhook asked for', async () => {
    const alerts = webhookAlerts([{ url: `${base}/only-failures`, on: ['failure'] }]);
    const alert = {
      dag: 'd',
      logicalDate: '2025-03-01' as IsoDate,
      runId: 'r',
      task: 't',
      tryNumber: 1,
      error: 'x',
    };
    await alerts.send({ ...alert, event: 'retry', retryInSeconds: 5 }, () => undefined);
    await alerts.send({ ...alert, event: 'failure' }, () => undefined);
    expect(received.map((r) => r.path)).toEqual(['/only-failures']);
  });

  it('logs an alert it cannot deliver without the URL, and the run goes on', async () => {
    fixture = controlPlaneFixture();
    failWith = 500;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refusedUrl = `http://127.0.0.1:${closedPort}/hooks/very-secret-path`;
    const alerts = webhookAlerts([
      { url: `${base}/hooks/another-secret`, on: ['failure'] },
      { url: refusedUrl, on: ['failure'] },
    ]);
    const broken = defineTask({
      name: 'broken',
      run: async () => {
        throw new Error('boom');
      },
    });
    const after = defineTask({ name: 'after', run: async () => ({ ok: 1 }) });
    const result = await runDag({
      dag: defineDag({ name: 'etl', tasks: [broken, after] }),
      store: fixture.store,
      logicalDate: '2025-03-01' as IsoDate,
      logsDir: fixture.logsDir,
      clock: fixture.clock,
      alerts,
    });
    expect(result.tasks.map((task) => [task.task, task.state])).toEqual([
      ['broken', 'failed'],
      ['after', 'success'],
    ]);
    const runLog = `${fixture.logsDir}/${result.runId}/run.log`;
    const warnings = (await logEvents(runLog))
      .filter((event) => event.kind === 'warning')
      .map((event) => event['message']);
    expect(warnings).toEqual(
      expect.arrayContaining([
        `alert (failure) to ${base}/*** could not be delivered: HTTP 500`,
        `alert (failure) to http://127.0.0.1:${closedPort}/*** could not be delivered: fetch failed (ECONNREFUSED)`,
      ]),
    );
    const text = readFileSync(runLog, 'utf8');
    expect(text).not.toContain('very-secret-path');
    expect(text).not.toContain('another-secret');
  });

  it('builds a Slack-compatible body', () => {
    const message = slackMessage({
      event: 'recovery',
      dag: 'd',
      logicalDate: '2025-03-02' as IsoDate,
      runId: 'r1',
    });
    expect(message.text).toBe(
      ':large_green_circle: d 2025-03-02 succeeded after an earlier failure\nLog: `fintech-etl logs r1`',
    );
    expect(message.blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: message.text.split('\n')[0] },
    });
  });
});
