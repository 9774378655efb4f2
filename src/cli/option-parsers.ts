/** Parsers for option values; commander reports their error with the option's name and exits 2. */
import { InvalidArgumentError } from 'commander';
import { type IsoDate, parseIsoDate } from '../core/dates.ts';

export function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a positive integer');
  return Number(value);
}

export function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a non-negative integer');
  return Number(value);
}

export function integer(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('must be an integer');
  return Number(value);
}

export function rate(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > 1) {
    throw new InvalidArgumentError('must be a number between 0 and 1');
  }
  return number;
}

export function isoDate(value: string): IsoDate {
  try {
    return parseIsoDate(value);
  } catch {
    throw new InvalidArgumentError('must be a date as YYYY-MM-DD');
  }
}

export function oneOf<T extends string>(...allowed: T[]): (value: string) => T {
  return (value) => {
    if (!(allowed as string[]).includes(value))
      throw new InvalidArgumentError(`must be one of ${allowed.join(', ')}`);
    return value as T;
  };
}
