/** One line, redacted, never a stack: how an error appears in the state store, alerts and `runs`. */
import { redact } from '../../core/redact.ts';

const MAX_LENGTH = 500;

export function errorSentence(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  const line = redact(text.split('\n').find((part) => part.trim() !== '') ?? 'unknown error').trim();
  return line.length > MAX_LENGTH ? `${line.slice(0, MAX_LENGTH - 1)}…` : line;
}
