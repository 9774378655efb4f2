/**
 * The `fintech-etl` entry point: builds the commander program, runs one command, and maps errors to exit codes
 * (DESIGN.md §2): 0 success, 1 pipeline failure, 2 bad usage or config. Errors are one sentence on stderr; a
 * stack trace only with `--verbose`.
 */
import { Command, CommanderError } from 'commander';
import { FintechEtlError } from '../core/errors.ts';
import { redact } from '../core/redact.ts';
import { createCliContext, type GlobalOptions } from './cli-context.ts';
import { COMMANDS } from './commands/index.ts';

export async function main(argv: string[]): Promise<number> {
  // `fintech-etl query … | head`: a reader that stops early is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const program = new Command('fintech-etl')
    .description('Batch ETL for card transactions: bronze → silver → warehouse → marts')
    .option('--home <dir>', 'folder for everything fintech-etl writes (env FINTECH_ETL_HOME)', undefined)
    .option('--config <file>', 'config file (default: ./fintech-etl.yaml, then <home>/fintech-etl.yaml)')
    .option('--json', 'print one machine-readable JSON document instead of tables')
    .option('--verbose', 'print stack traces and debug detail')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const context = createCliContext(() => program.opts<GlobalOptions>());
  for (const register of COMMANDS) register(program, context);
  for (const command of program.commands) command.exitOverride();

  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return reportError(error, Boolean(program.opts()['verbose']));
  } finally {
    await context.close();
  }
}

function reportError(error: unknown, verbose: boolean): number {
  if (error instanceof CommanderError) {
    // commander already printed its message; help and version are successes.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof FintechEtlError) {
    process.stderr.write(`fintech-etl: ${redact(error.message)}\n`);
    if (verbose && error.stack) process.stderr.write(`${redact(error.stack)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`fintech-etl: unexpected error: ${redact(message)}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${redact(error.stack)}\n`);
  else process.stderr.write('(run with --verbose for details)\n');
  return 1;
}
