/**
 * Keeps secrets out of logs and error messages (DESIGN.md §5.8): passwords in connection URLs, registered
 * secret values, and anything that looks like a card number.
 */
const registeredSecrets = new Set<string>();

/**
 * A run of 12–19 digits standing alone is masked as a PAN (first 6 and last 4 kept). A run that is the whole
 * or the fraction part of a decimal number (`99999999999999.99`, `0.123456789012`) is a money value or a
 * measurement, never a card number, and stays readable: an error about an amount must show the amount.
 */
const PAN_LIKE = /(?<!\d\.)\b(\d{6})\d{2,9}(\d{4})\b(?!\.\d)/g;

/** Remembers a secret value so every later `redact()` hides it. */
export function registerSecret(value: string): void {
  if (value.length >= 4) registeredSecrets.add(value);
}

export function redact(text: string): string {
  let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)([^@\s/]+)@/gi, '$1***@');
  for (const secret of registeredSecrets) out = out.split(secret).join('***');
  return out.replace(PAN_LIKE, '$1******$2');
}
