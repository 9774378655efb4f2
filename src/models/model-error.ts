/**
 * A mistake in the model project (bad template, unknown ref, cycle, bad YAML). It names the file and, where
 * known, the line, so the author can jump straight to it. Exit code 2: the project, not the data, is wrong.
 */
import { UsageError } from '../core/errors.ts';

export class ModelProjectError extends UsageError {
  override name = 'ModelProjectError';
}
