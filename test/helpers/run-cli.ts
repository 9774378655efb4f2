/** Runs the real `bin/fintech-etl` as a child process, the way users and CI call it. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/fintech-etl', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], cwd?: string): CliResult {
  const result = spawnSync(BIN, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FINTECH_ETL_HOME: '' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
