// Number, money, rate and date formats of every page. Amounts arrive as exact decimal strings and are formatted
// from the string (Intl.NumberFormat reads decimal strings exactly), in the reporting currency the server
// names on <body data-currency>, always with the 2 decimals of the marts' DECIMAL(18,2) (FX-converted amounts
// have cents even in a currency without minor units).
const currency = document.body.dataset.currency || 'KRW';
const LOCALE = 'en-US';

const moneyFormat = new Intl.NumberFormat(LOCALE, {
  style: 'currency',
  currency,
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const moneyCompact = new Intl.NumberFormat(LOCALE, {
  style: 'currency',
  currency,
  notation: 'compact',
  maximumFractionDigits: 1,
});
const countFormat = new Intl.NumberFormat(LOCALE);
const percentFormat = new Intl.NumberFormat(LOCALE, {
  style: 'percent',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const signedPercent = new Intl.NumberFormat(LOCALE, {
  style: 'percent',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
  signDisplay: 'exceptZero',
});
const dayFormat = new Intl.DateTimeFormat('en-GB', {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
});
const shortDayFormat = new Intl.DateTimeFormat('en-GB', {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  timeZone: 'UTC',
});
const monthFormat = new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' });
const timestampFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZoneName: 'short',
});

export const currencyCode = currency;

/** "5572469018.90" → "₩5,572,469,018.90"; exact. */
export function money(text) {
  return text === null || text === undefined ? '—' : moneyFormat.format(String(text));
}

/** Axis labels: "₩5.6B". */
export function moneyShort(value) {
  return moneyCompact.format(value);
}

export function count(value) {
  return value === null || value === undefined ? '—' : countFormat.format(value);
}

/** A 4-decimal fraction ("0.9753") as a percentage ("97.53%"). */
export function rate(fraction) {
  return fraction === null || fraction === undefined ? '—' : percentFormat.format(String(fraction));
}

/** A KPI's change: relative ("+5.23%") or in percentage points ("−0.12 pp"). */
export function change(delta) {
  if (!delta) return '';
  const text = signedPercent.format(String(delta.value));
  return delta.kind === 'points' ? text.replace('%', ' pp') : text;
}

/** "2025-03-30" → "Sun 30 Mar 2025". */
export function day(iso) {
  return iso ? dayFormat.format(new Date(`${iso}T00:00:00Z`)) : '—';
}

/** "2025-03-30" → "Sun 30 Mar". */
export function shortDay(iso) {
  return iso ? shortDayFormat.format(new Date(`${iso}T00:00:00Z`)) : '—';
}

/** "2025-03-01" → "Mar 2025". */
export function month(iso) {
  return iso ? monthFormat.format(new Date(`${iso}T00:00:00Z`)) : '—';
}

/** An ISO instant in the viewer's time zone. */
export function timestamp(iso) {
  return iso ? timestampFormat.format(new Date(iso)) : '—';
}
