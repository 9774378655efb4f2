/**
 * A throw-away fintech-etl home driven through the real binary (`bin/fintech-etl`), as users and the scheduler
 * run it: its own lake, config and state file, a DuckDB file or a PostgreSQL database, and the same fixed
 * tokenization key as the in-process harness, so card tokens compare across homes. Between two commands the
 * test reads the home in this process (`open`), which must be closed again before the next command (a DuckDB
 * file has one writer process).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type ResolvedConfig } from '../../../src/config/load-config.ts';
import type { Lake } from '../../../src/lake/lake.ts';
import { openLake } from '../../../src/lake/open-lake.ts';
import { SqliteStateStore } from '../../../src/orchestrator/state/sqlite/sqlite-state-store.ts';
import { openWarehouse } from '../../../src/warehouse/open-warehouse.ts';
import type { Warehouse } from '../../../src/warehouse/warehouse.ts';

const BIN = fileURLToPath(new URL('../../../bin/fintech-etl', import.meta.url));

export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface OpenedHome {
  config: ResolvedConfig;
  lake: Lake;
  warehouse: Warehouse;
  state: SqliteStateStore;
  close(): Promise<void>;
}

export interface CliHome {
  home: string;
  /** Runs `fintech-etl --home HOME ARGS…` with extra environment variables (fault hooks, a fixed "now"). */
  cli(args: string[], env?: NodeJS.ProcessEnv): Promise<CliRun>;
  /** Starts it and returns at once: for tests that act while it runs. */
  start(args: string[], env?: NodeJS.ProcessEnv): { done: Promise<CliRun>; pid: number | undefined };
  /** The home's config, lake, warehouse and state, opened in this process. */
  open(): Promise<OpenedHome>;
  remove(): void;
}

export function createCliHome(options: { warehouseUrl?: string; yaml?: string } = {}): CliHome {
  const home = mkdtempSync(join(tmpdir(), 'fintech-cli-home-'));
  mkdirSync(join(home, 'secrets'), { recursive: true });
  writeFileSync(join(home, 'secrets', 'tokenization.key'), 'ab'.repeat(32), { mode: 0o600 });
  writeFileSync(
    join(home, 'fintech-etl.yaml'),
    [options.warehouseUrl ? `warehouse: ${options.warehouseUrl}` : '', options.yaml ?? ''].join('\n'),
  );
  const start = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const child = spawn(BIN, ['--home', home, ...args], {
      cwd: home,
      env: { ...process.env, FINTECH_ETL_HOME: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const done = new Promise<CliRun>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
    });
    return { done, pid: child.pid };
  };
  return {
    home,
    start,
    cli: (args, env) => start(args, env).done,
    open: async () => {
      const config = loadConfig({ home, cwd: home, env: {} });
      const lake = await openLake(config);
      const warehouse = await openWarehouse(config, { env: {} });
      const state = new SqliteStateStore(join(home, 'state.db'));
      return {
        config,
        lake,
        warehouse,
        state,
        close: async () => {
          await state.close();
          await warehouse.close();
          await lake.close();
        },
      };
    },
    remove: () => rmSync(home, { recursive: true, force: true }),
  };
}
