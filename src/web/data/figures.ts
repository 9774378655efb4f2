/**
 * Rates and changes the pages show, computed exactly from counts and decimal strings (bigint, never float
 * arithmetic on money). A rate is a fraction with 4 decimals ("0.9753" = 97.53 %), rounded half away from zero
 * like the marts' ratio macro, so a rate on a page equals the same rate computed in SQL.
 */
import { formatCents, parseCents } from '../../core/money.ts';

const RATE_SCALE = 10_000n;

/** numerator ÷ denominator as a 4-decimal fraction; null when the denominator is 0. */
export function ratio(
  numerator: bigint | number | string,
  denominator: bigint | number | string,
): string | null {
  return divideScaled(BigInt(numerator), BigInt(denominator));
}

/**
 * (current − previous) ÷ previous of two amounts (decimal strings with at most 2 decimals) or counts, as a
 * 4-decimal fraction ("0.0523" = +5.23 %); null without a previous figure or when it is 0.
 */
export function relativeChange(
  current: string | number | null,
  previous: string | number | null,
): string | null {
  if (current === null || previous === null) return null;
  const now = toCents(current);
  const before = toCents(previous);
  return divideScaled(now - before, before < 0n ? -before : before);
}

/** The difference of two 4-decimal fractions, in the same unit (a change of a rate in points). */
export function rateDifference(current: string | null, previous: string | null): string | null {
  if (current === null || previous === null) return null;
  return formatScaled(toRateUnits(current) - toRateUnits(previous));
}

function divideScaled(numerator: bigint, denominator: bigint): string | null {
  if (denominator === 0n) return null;
  const negative = numerator < 0n !== denominator < 0n;
  const n = (numerator < 0n ? -numerator : numerator) * RATE_SCALE;
  const d = denominator < 0n ? -denominator : denominator;
  const rounded = (n * 2n + d) / (2n * d);
  return formatScaled(negative ? -rounded : rounded);
}

function formatScaled(units: bigint): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const text = `${abs / RATE_SCALE}.${(abs % RATE_SCALE).toString().padStart(4, '0')}`;
  return negative ? `-${text}` : text;
}

function toCents(value: string | number): bigint {
  if (typeof value === 'number') return BigInt(value) * 100n;
  const cents = parseCents(value);
  if (cents === undefined) throw new Error(`not an amount: ${value}`);
  return cents;
}

function toRateUnits(fraction: string): bigint {
  const match = /^(-?)(\d+)\.(\d{4})$/.exec(fraction);
  if (!match) throw new Error(`not a 4-decimal fraction: ${fraction}`);
  const units = BigInt(match[2]!) * RATE_SCALE + BigInt(match[3]!);
  return match[1] ? -units : units;
}

/** The exact sum of amounts (decimal strings with at most 2 decimals). */
export function sumAmounts(amounts: Iterable<string>): string {
  let cents = 0n;
  for (const amount of amounts) cents += toCents(amount);
  return formatCents(cents);
}
