/**
 * A task failure that another try cannot fix: a quality gate that held the batch, model tests that failed, a
 * suite naming a column silver lacks. The executor records the try failed and does not retry it, whatever the
 * task's retry policy; so does any error carrying exit code 2 (bad usage or config).
 */
import { FintechEtlError, PermanentError } from '../../core/errors.ts';

export class NonRetryableError extends PermanentError {
  override name = 'NonRetryableError';
}

/** False for a {@link PermanentError} (src/core: a corrupt input file, say) and for exit-code-2 errors. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof PermanentError) return false;
  return !(error instanceof FintechEtlError && error.exitCode === 2);
}
