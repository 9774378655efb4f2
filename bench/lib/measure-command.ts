/**
 * Runs a command as a child process and reports its wall time and peak RSS, measured by GNU time from outside
 * the process (so the figure includes DuckDB's native memory, which Node's own counters do not see).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CommandFigures {
  seconds: number;
  /** User + system CPU seconds: a figure that holds up better than wall time on a busy shared machine. */
  cpuSeconds: number;
  peakRssMb: number;
  stdout: string;
}

export function measureCommand(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): CommandFigures {
  const report = join(mkdtempSync(join(tmpdir(), 'bench-')), 'time.txt');
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', '-o', report, command, ...args], {
    env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  }
  const [seconds, kilobytes, user, system] = readFileSync(report, 'utf8')
    .trim()
    .split('\n')
    .at(-1)!
    .split(' ')
    .map(Number);
  return {
    seconds: seconds!,
    cpuSeconds: user! + system!,
    peakRssMb: kilobytes! / 1024,
    stdout: result.stdout,
  };
}
