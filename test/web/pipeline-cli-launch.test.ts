/**
 * The operator's "run date" button with the real CLI: the server starts `bin/fintech-etl --home H --config C
 * run --date D` as a detached child, which runs the daily pipeline on the home's lake and warehouse as if typed;
 * the page lists the launch with its exit code and output, and the dashboards show the date afterwards.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/core/dates.ts';
import { type RunningWebServer, startWebServer } from '../../src/web/start-web-server.ts';
import { writeHandbuiltDay } from '../helpers/handbuilt-bronze.ts';
import {
  createPipelineHarness,
  END_TO_END_SETUP_MS,
  type PipelineHarness,
} from '../helpers/pipeline-harness.ts';

const TOKEN = 'launch-test-operator-token-4b9d';
const DAY = '2025-01-30' as IsoDate;

describe('the run button with the real CLI', () => {
  let harness: PipelineHarness;
  let server: RunningWebServer;
  const api = async (path: string, init?: RequestInit) => {
    const response = await fetch(new URL(path, server.url), init);
    return { status: response.status, body: await response.json() };
  };

  beforeAll(async () => {
    harness = await createPipelineHarness();
    await writeHandbuiltDay(harness.lake, DAY);
    // The CLI opens the warehouse itself: the harness must not hold the DuckDB file.
    await harness.warehouse.close();
    server = await startWebServer({
      config: harness.config,
      lake: harness.lake,
      port: 0,
      env: { ...process.env, FINTECH_ETL_OPERATOR_TOKEN: TOKEN },
      log: () => undefined,
    });
  }, END_TO_END_SETUP_MS);

  afterAll(async () => {
    await server?.close();
    await harness?.lake.close();
    if (harness) rmSync(harness.home, { recursive: true, force: true });
  });

  it('runs the date through bin/fintech-etl, and the page shows its exit code, output and marts', async () => {
    expect((await api('/api/overview')).body.empty).toBe(true);
    const started = await api('/api/pipeline/rerun', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ date: DAY }),
    });
    expect(started.status).toBe(202);
    expect(started.body.launched.command).toBe(`fintech-etl run --date ${DAY}`);
    let launch: { running: boolean; exit_code: number | null; output_tail: string[] } | undefined;
    const deadline = Date.now() + 300_000;
    do {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      [launch] = (await api('/api/pipeline')).body.launches;
    } while (launch?.running && Date.now() < deadline);
    expect(launch).toMatchObject({ running: false, exit_code: 0 });
    const output = launch!.output_tail.join('\n');
    expect(output).toMatch(new RegExp(`run \\S+ +daily_batch_etl +logical date ${DAY}`));
    expect(output).toContain('OK   gold');
    const overview = (await api('/api/overview')).body;
    expect(overview.date).toBe(DAY);
    expect(overview.kpis.find((kpi: { id: string }) => kpi.id === 'transactions').value).toBeGreaterThan(0);
  }, 360_000);
});
