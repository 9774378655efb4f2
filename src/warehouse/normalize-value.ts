/**
 * Shared rules for turning engine values into {@link WarehouseValue}s, so a mart read from DuckDB and from
 * PostgreSQL compares equal row for row. Each engine maps its own types onto these helpers.
 */
import type { WarehouseValue } from './warehouse.ts';

/** Integers stay numbers while exact; beyond 2^53 they become decimal strings (never a rounded number). */
export function normalizeInteger(value: bigint | number): WarehouseValue {
  if (typeof value === 'number') return value;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

const TIMESTAMP_TEXT =
  /^(-?\d{4,}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2}(?::?\d{2})?(?::\d{2})?|Z)?$/;

/**
 * `2024-01-02 03:04:05.120000+00` → `2024-01-02T03:04:05.12Z`; without a zone → `2024-01-02T03:04:05.12`.
 * Trailing zeros of the fraction are dropped (engines print them differently); a zone is converted to UTC.
 */
export function normalizeTimestampText(text: string): string {
  const match = TIMESTAMP_TEXT.exec(text);
  if (!match) return text;
  const [, date, time, rawFraction = '', zone] = match;
  const fraction = rawFraction.replace(/0+$/, '').replace(/^\.$/, '');
  if (zone === undefined) return `${date}T${time}${fraction}`;
  if (zone === 'Z' || /^[+-]00(:?00)?(:00)?$/.test(zone)) return `${date}T${time}${fraction}Z`;
  const utc = new Date(`${date}T${time}${zone.length === 3 ? `${zone}:00` : zone}`);
  return `${utc.toISOString().slice(0, 19)}${fraction}Z`;
}
