/**
 * The query string of a data request, read only through validating getters: dates, values from a fixed list,
 * bounded text and integers. A bad value is a {@link BadRequest} naming the parameter, what it got and what is
 * allowed; the fixed queries then bind the validated values as parameters.
 */
import { addDays, daysBetween, type IsoDate, isIsoDate } from '../../core/dates.ts';
import { redact } from '../../core/redact.ts';

/** A request the server refuses with 400 and this message. */
export class BadRequest extends Error {
  override name = 'BadRequest';
}

export interface DateRange {
  from: IsoDate;
  to: IsoDate;
}

/** The longest range a page lets one request cover, which bounds every response's size. */
export const MAX_RANGE_DAYS = 366;

export class QueryParams {
  constructor(private readonly search: URLSearchParams) {}

  static of(url: string): QueryParams {
    return new QueryParams(new URL(url, 'http://localhost').searchParams);
  }

  /** A JSON body's fields, read like a query string (strings, numbers and booleans as their text). */
  static fromObject(body: Record<string, unknown>): QueryParams {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(body)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
        search.set(name, String(value));
      else if (value !== null && value !== undefined)
        throw new BadRequest(`parameter '${clip(name)}' must be a string, number or boolean`);
    }
    return new QueryParams(search);
  }

  private raw(name: string): string | undefined {
    const value = this.search.get(name);
    return value === null || value === '' ? undefined : value;
  }

  date(name: string): IsoDate | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (!isIsoDate(value))
      throw new BadRequest(`parameter '${name}' is not a date (YYYY-MM-DD): '${clip(value)}'`);
    return value;
  }

  /**
   * `from`/`to` as asked (each checked to be a date); {@link RequestedRange.resolve} fills in the defaults once
   * the latest date is known, so a malformed date is refused before any data is read.
   */
  requestedRange(): RequestedRange {
    return new RequestedRange(this.date('from'), this.date('to'));
  }

  /** One of `allowed`, or '' when absent ("all"). */
  oneOf<T extends string>(name: string, allowed: readonly T[]): T | '' {
    const value = this.raw(name);
    if (value === undefined) return '';
    if (!(allowed as readonly string[]).includes(value)) {
      const shown = allowed.length > 12 ? `${allowed.slice(0, 12).join(', ')}, …` : allowed.join(', ');
      throw new BadRequest(
        `parameter '${name}' has value '${clip(value)}'; allowed: ${shown || '(none yet)'}`,
      );
    }
    return value as T;
  }

  /** Free text for a search box, at most `maxLength` characters; '' when absent. */
  text(name: string, maxLength: number): string {
    const value = this.raw(name)?.trim() ?? '';
    if (value.length > maxLength)
      throw new BadRequest(`parameter '${name}' is longer than ${maxLength} characters`);
    return value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
      throw new BadRequest(
        `parameter '${name}' must be an integer from ${min} to ${max}, got '${clip(value)}'`,
      );
    return Number(value);
  }
}

/** A request's value as an error message repeats it: shortened, and a card number in it masked. */
function clip(value: string): string {
  return redact(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

export class RequestedRange {
  constructor(
    readonly from: IsoDate | undefined,
    readonly to: IsoDate | undefined,
  ) {}

  /**
   * The range asked for, each end defaulting to the `defaultDays` days that end on `latest`; refused when
   * reversed or longer than {@link MAX_RANGE_DAYS}.
   */
  resolve(latest: IsoDate, defaultDays: number): DateRange {
    const to = this.to ?? latest;
    const from = this.from ?? addDays(to, 1 - defaultDays);
    const days = daysBetween(from, to) + 1;
    if (days < 1) throw new BadRequest(`parameter 'from' (${from}) is after 'to' (${to})`);
    if (days > MAX_RANGE_DAYS)
      throw new BadRequest(
        `the date range ${from} … ${to} spans ${days} days; at most ${MAX_RANGE_DAYS} are allowed`,
      );
    return { from, to };
  }
}
