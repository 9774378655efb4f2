/**
 * Keeps secrets out of logs and error messages (DESIGN.md §5.8): passwords in connection URLs, registered
 * secret values, and anything that looks like a card number.
 */
const registeredSecrets = new Set<string>();

/** Remembers a secret value so every later `redact()` hides it. */
export function registerSecret(value: string): void {
  if (value.length >= 4) registeredSecrets.add(value);
}

export function redact(text: string): string {
  let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)([^@\s/]+)@/gi, '$1***@');
  for (const secret of registeredSecrets) out = out.split(secret).join('***');
  return out.replace(/\b(\d{6})\d{2,9}(\d{4})\b/g, '$1******$2');
}
