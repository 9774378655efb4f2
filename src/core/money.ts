/**
 * Exact money: amounts travel as decimal strings and are computed as integer minor units (bigint), never as
 * JavaScript floats (DESIGN.md §5.6). SQL does the heavy arithmetic in DECIMAL(18,2).
 */

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
