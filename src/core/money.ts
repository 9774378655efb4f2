/**
 * Exact money: amounts travel as decimal strings and are computed as integer minor units (bigint), never as
 * JavaScript floats (DESIGN.md §5.6). SQL does the heavy arithmetic in DECIMAL(18,2).
 */

const AMOUNT = /^-?\d+(\.\d{1,2})?$/;

/** `"12.5"` → 1250n; undefined when the text is not a decimal with at most 2 decimals. */
export function parseCents(text: string): bigint | undefined {
  const trimmed = text.trim();
  if (!AMOUNT.test(trimmed)) return undefined;
  const negative = trimmed.startsWith('-');
  const [whole, fraction = ''] = (negative ? trimmed.slice(1) : trimmed).split('.');
  const cents = BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0'));
  return negative ? -cents : cents;
}

/** 1250n → `"12.50"`. Safe-integer numbers take an exact integer fast path (the generator formats millions). */
export function formatCents(cents: bigint | number): string {
  if (typeof cents === 'number' && Number.isSafeInteger(cents)) {
    const abs = Math.abs(cents);
    const fraction = abs % 100;
    const text = `${(abs - fraction) / 100}.${fraction < 10 ? '0' : ''}${fraction}`;
    return cents < 0 ? `-${text}` : text;
  }
  const value = BigInt(cents);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const text = `${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
  return negative ? `-${text}` : text;
}
