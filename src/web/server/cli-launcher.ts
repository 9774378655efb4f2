/**
 * The operator's buttons on the Pipeline page start the CLI itself — `fintech-etl run --date D` or `backfill
 * --from A --to B`, with the server's home and config — as a detached child process, instead of running the
 * pipeline inside the server: the writer lease, the state, the logs and the exit codes are then exactly the
 * CLI's, the run survives the server being stopped, and the server stays a reader. The child's output goes to
 * `<home>/web/launches/<time>-<command>.log`, whose last lines the page shows.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redact } from '../../core/redact.ts';

const BIN = fileURLToPath(new URL('../../../bin/fintech-etl', import.meta.url));
const TAIL_BYTES = 16_384;
const TAIL_LINES = 20;
const KEPT = 10;

/** A launch refused because it would only queue behind one still running. */
export class LaunchRefused extends Error {
  override name = 'LaunchRefused';
}

export interface CliLauncherOptions {
  /** The server's home and config file (undefined: built-in defaults), passed to the child as they are. */
  home: string;
  configFile: string | undefined;
  /** Where the child runs: the server's working folder, so it finds the same config. */
  cwd: string;
  /** Argv before the CLI's own arguments; default `node bin/fintech-etl`. Tests put a stand-in here. */
  command?: readonly string[];
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

export interface Launch {
  id: string;
  /** As a person would type it: `fintech-etl run --date 2025-03-01`. */
  command: string;
  pid: number | null;
  started_at: string;
  running: boolean;
  exit_code: number | null;
  signal: string | null;
  /** The output file's name under `<home>/web/launches/`. */
  output_file: string;
}

interface LaunchEntry extends Launch {
  child: ChildProcess | undefined;
  path: string;
}

export class CliLauncher {
  private readonly launches: LaunchEntry[] = [];
  private readonly outputDir: string;

  constructor(private readonly options: CliLauncherOptions) {
    this.outputDir = join(options.home, 'web', 'launches');
  }

  /**
   * Starts `fintech-etl <args>` detached; refuses while a launch from this server still runs (the second would
   * only wait for the writer lease, and an operator clicking twice wants one run).
   */
  launch(args: readonly string[]): Launch {
    const busy = this.launches.find((entry) => entry.running);
    if (busy)
      throw new LaunchRefused(
        `'${busy.command}' (pid ${busy.pid}) started from this page is still running; wait for it to finish`,
      );
    const now = (this.options.now ?? (() => new Date()))();
    const id = `${now.toISOString().replace(/[:.]/g, '-')}-${args.join('-').replace(/[^a-z0-9-]/gi, '')}`;
    mkdirSync(this.outputDir, { recursive: true });
    const path = join(this.outputDir, `${id}.log`);
    const output = openSync(path, 'a');
    const [program, ...prefix] = this.options.command ?? [process.execPath, BIN];
    const globals = ['--home', this.options.home];
    if (this.options.configFile) globals.push('--config', this.options.configFile);
    const env = { ...(this.options.env ?? process.env) };
    // The child needs the pipeline's secrets, not the web app's.
    delete env['FINTECH_ETL_OPERATOR_TOKEN'];
    delete env['FINTECH_ETL_HOME'];
    let child: ChildProcess;
    try {
      child = spawn(program!, [...prefix, ...globals, ...args], {
        cwd: this.options.cwd,
        env,
        detached: true,
        stdio: ['ignore', output, output],
      });
    } finally {
      closeSync(output);
    }
    const entry: LaunchEntry = {
      id,
      command: `fintech-etl ${args.join(' ')}`,
      pid: child.pid ?? null,
      started_at: now.toISOString(),
      running: child.pid !== undefined,
      exit_code: null,
      signal: null,
      output_file: basename(path),
      child,
      path,
    };
    child.once('error', () => {
      entry.running = false;
    });
    child.once('exit', (code, signal) => {
      entry.running = false;
      entry.exit_code = code;
      entry.signal = signal;
      entry.child = undefined;
    });
    // Detached and unreferenced: it is the CLI's run, not the server's; stopping the server leaves it going.
    child.unref();
    this.launches.unshift(entry);
    this.launches.splice(KEPT);
    return publicView(entry);
  }

  /** Recent launches from this server, newest first, with the last lines of each one's output. */
  list(): (Launch & { output_tail: string[] })[] {
    return this.launches.map((entry) => ({ ...publicView(entry), output_tail: tail(entry.path) }));
  }

  get running(): boolean {
    return this.launches.some((entry) => entry.running);
  }
}

function publicView(entry: LaunchEntry): Launch {
  const { child: _child, path: _path, ...view } = entry;
  return view;
}

/** The last lines of a launch's output, redacted (the CLI redacts what it prints; this guards the page). */
function tail(path: string): string[] {
  let text: string;
  try {
    const size = statSync(path).size;
    const buffer = Buffer.alloc(Math.min(size, TAIL_BYTES));
    const file = openSync(path, 'r');
    try {
      readSync(file, buffer, 0, buffer.length, size - buffer.length);
    } finally {
      closeSync(file);
    }
    text = buffer.toString('utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-TAIL_LINES)
    .map((line) => redact(line).slice(0, 400));
}
