/**
 * Exact fractions (bigint numerator / denominator) for the statistics the gate compares: means of money columns,
 * shares of an amount, ratios to a trailing median. Values arrive from SQL as decimal text and are never turned
 * into floats before a comparison (DESIGN.md §5.6); floats appear only in what is displayed.
 */
export interface Ratio {
  readonly num: bigint;
  /** Always > 0. */
  readonly den: bigint;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x === 0n ? 1n : x;
}

export function ratio(num: bigint, den: bigint = 1n): Ratio {
  if (den === 0n) throw new RangeError('division by zero');
  const sign = den < 0n ? -1n : 1n;
  const divisor = gcd(num, den);
  return { num: (sign * num) / divisor, den: (sign * den) / divisor };
}

/** `"12.50"`, `"-3"`, `"1.5e3"` or a JS number (through its shortest decimal text) → an exact ratio. */
export function parseRatio(value: string | number | bigint): Ratio {
  if (typeof value === 'bigint') return ratio(value);
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = DECIMAL.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new RangeError(`'${text}' is not a decimal number`);
  }
  const [, sign, whole = '', fraction = '', exponentText] = match;
  const exponent = Number(exponentText ?? 0) - fraction.length;
  let num = BigInt(`${whole}${fraction}` || '0');
  if (sign === '-') num = -num;
  return exponent >= 0 ? ratio(num * 10n ** BigInt(exponent)) : ratio(num, 10n ** BigInt(-exponent));
}

export function compareRatio(a: Ratio, b: Ratio): number {
  const left = a.num * b.den;
  const right = b.num * a.den;
  return left < right ? -1 : left > right ? 1 : 0;
}

export const addRatio = (a: Ratio, b: Ratio): Ratio => ratio(a.num * b.den + b.num * a.den, a.den * b.den);
export const subtractRatio = (a: Ratio, b: Ratio): Ratio =>
  ratio(a.num * b.den - b.num * a.den, a.den * b.den);
export const multiplyRatio = (a: Ratio, b: Ratio): Ratio => ratio(a.num * b.num, a.den * b.den);
export const divideRatio = (a: Ratio, b: Ratio): Ratio => ratio(a.num * b.den, a.den * b.num);
export const absRatio = (a: Ratio): Ratio => (a.num < 0n ? ratio(-a.num, a.den) : a);

/** The median of a non-empty list: the middle value, or the mean of the two middle ones. */
export function medianRatio(values: Ratio[]): Ratio {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort(compareRatio);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle]!
    : divideRatio(addRatio(sorted[middle - 1]!, sorted[middle]!), ratio(2n));
}

/** Decimal text rounded half away from zero to `digits` places (`"66854.40"` for digits 2). */
export function formatRatio(value: Ratio, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const negative = value.num < 0n;
  const magnitude = negative ? -value.num : value.num;
  const scaled = (magnitude * scale * 2n + value.den) / (2n * value.den);
  const whole = scaled / scale;
  const fraction = (scaled % scale).toString().padStart(digits, '0');
  const text = digits > 0 ? `${whole}.${fraction}` : `${whole}`;
  return negative && scaled !== 0n ? `-${text}` : text;
}
