/**
 * A fintech-etl home for the Pipeline page's tests: the hand-built bronze of four ingest dates in a local lake,
 * and a state store (SQLite under home, as the CLI keeps it) holding three runs of the web test DAG made by the
 * real executor: 2025-01-30 succeeded, 2025-01-31 succeeded after `load` failed once, 2025-02-01 failed in
 * `tests` twice (real failing model tests, whose SQL and samples its log holds). 2025-02-02 has bronze and no run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedConfig } from '../../../src/config/load-config.ts';
import type { IsoDate } from '../../../src/core/dates.ts';
import type { Lake } from '../../../src/lake/lake.ts';
import { runDag } from '../../../src/orchestrator/execution/run-dag.ts';
import { SqliteStateStore } from '../../../src/orchestrator/state/sqlite/sqlite-state-store.ts';
import { writeHandbuiltDay } from '../../helpers/handbuilt-bronze.ts';
import { createTestLake } from '../../helpers/test-lake.ts';
import { logsDirOf, webTestDag } from './web-test-dag.ts';

export const OK_DATE = '2025-01-30' as IsoDate;
export const RETRIED_DATE = '2025-01-31' as IsoDate;
export const FAILED_DATE = '2025-02-01' as IsoDate;
export const UNRUN_DATE = '2025-02-02' as IsoDate;

export interface PipelineHome {
  home: string;
  config: ResolvedConfig;
  lake: Lake;
  runIds: { ok: string; retried: string; failed: string };
  /** A store on the home's state file, for the tests' own reads. */
  store(): SqliteStateStore;
  close(): Promise<void>;
}

/** `configYaml`: more lines of the home's fintech-etl.yaml (another model project, say). */
export async function createPipelineHome(configYaml = ''): Promise<PipelineHome> {
  const home = mkdtempSync(join(tmpdir(), 'fintech-pipeline-page-'));
  const { config, lake } = await createTestLake('local', home, configYaml);
  for (const date of [OK_DATE, RETRIED_DATE, FAILED_DATE, UNRUN_DATE]) await writeHandbuiltDay(lake, date);
  const store = new SqliteStateStore(join(home, 'state.db'));
  const run = (logicalDate: IsoDate, options: Parameters<typeof webTestDag>[0]) =>
    runDag({ dag: webTestDag(options), store, logicalDate, logsDir: logsDirOf(home) });
  const ok = await run(OK_DATE, {});
  const retried = await run(RETRIED_DATE, { flakyLoad: true });
  const failed = await run(FAILED_DATE, { failingTests: true });
  await store.close();
  if (ok.outcome !== 'success' || retried.outcome !== 'success' || failed.outcome !== 'failed')
    throw new Error(`unexpected outcomes: ${ok.outcome}, ${retried.outcome}, ${failed.outcome}`);
  const stores: SqliteStateStore[] = [];
  return {
    home,
    config,
    lake,
    runIds: { ok: ok.runId, retried: retried.runId, failed: failed.runId },
    store: () => {
      const opened = new SqliteStateStore(join(home, 'state.db'));
      stores.push(opened);
      return opened;
    },
    close: async () => {
      for (const opened of stores) await opened.close();
      await lake.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
