/**
 * Errors the CLI turns into exit codes (DESIGN.md §2): a user mistake exits 2, a pipeline failure exits 1.
 * Anything else is a bug and prints a stack trace only with `--verbose`.
 */
export abstract class FintechEtlError extends Error {
  abstract readonly exitCode: 1 | 2;
}

/** Bad flag, bad argument, bad input file shape: exit code 2. */
export class UsageError extends FintechEtlError {
  readonly exitCode = 2 as const;
  override name = 'UsageError';
}

/** A config key with a wrong value, or an unreadable config file: exit code 2. */
export class ConfigError extends FintechEtlError {
  readonly exitCode = 2 as const;
  override name = 'ConfigError';
}

/** The pipeline ran and failed (a task, a quality gate, an unbalanced ledger): exit code 1. */
export class PipelineError extends FintechEtlError {
  readonly exitCode = 1 as const;
  override name = 'PipelineError';
}

/**
 * A failure the same input reproduces every time (a corrupt bronze file, a quality gate that held the batch):
 * exit code 1, and the control plane does not retry it — another try would only wait to fail again.
 */
export class PermanentError extends PipelineError {
  override name = 'PermanentError';
}

/** Writing different content into an existing bronze partition (bronze is immutable): exit code 1. */
export class ImmutablePartitionError extends PipelineError {
  override name = 'ImmutablePartitionError';
}
