/**
 * Where cross-border spending happens and in which currency. The generator only uses currencies that are in
 * the config's `currencies`; amounts are drawn in won-equivalent and converted with these rough rates so a
 * hotel in Tokyo costs about what a hotel in Seoul costs. Real FX rates are the model project's seed, not this.
 */
export interface CurrencyPlace {
  currency: string;
  country: string;
  /** Minor-unit digits that appear in amounts: 0 for KRW and JPY (whole units), else 2. */
  decimals: 0 | 2;
  /** Approximate won per unit, only for scaling generated amounts. */
  wonPerUnit: number;
  cities: readonly string[];
}

export const CURRENCY_PLACES: readonly CurrencyPlace[] = [
  {
    currency: 'KRW',
    country: 'KR',
    decimals: 0,
    wonPerUnit: 1,
    cities: [
      'Seoul',
      'Seoul',
      'Seoul',
      'Busan',
      'Incheon',
      'Daegu',
      'Daejeon',
      'Gwangju',
      'Suwon',
      'Ulsan',
      'Seongnam',
      'Goyang',
      'Jeju',
    ],
  },
  {
    currency: 'USD',
    country: 'US',
    decimals: 2,
    wonPerUnit: 1350,
    cities: ['New York', 'Los Angeles', 'San Francisco', 'Honolulu', 'Seattle'],
  },
  {
    currency: 'JPY',
    country: 'JP',
    decimals: 0,
    wonPerUnit: 9,
    cities: ['Tokyo', 'Osaka', 'Fukuoka', 'Sapporo', 'Kyoto'],
  },
  {
    currency: 'CNY',
    country: 'CN',
    decimals: 2,
    wonPerUnit: 190,
    cities: ['Shanghai', 'Beijing', 'Qingdao', 'Shenzhen'],
  },
  { currency: 'EUR', country: 'FR', decimals: 2, wonPerUnit: 1450, cities: ['Paris', 'Nice', 'Lyon'] },
  {
    currency: 'EUR',
    country: 'DE',
    decimals: 2,
    wonPerUnit: 1450,
    cities: ['Berlin', 'Munich', 'Frankfurt'],
  },
  {
    currency: 'GBP',
    country: 'GB',
    decimals: 2,
    wonPerUnit: 1700,
    cities: ['London', 'Manchester', 'Edinburgh'],
  },
];

/**
 * The home place is the reporting currency's; foreign places are the other configured currencies the table
 * knows. A configured currency missing from the table is simply never generated.
 */
export function placesFor(reportingCurrency: string, currencies: readonly string[]) {
  const home =
    CURRENCY_PLACES.find((place) => place.currency === reportingCurrency) ??
    ({ currency: reportingCurrency, country: 'KR', decimals: 2, wonPerUnit: 1, cities: ['Seoul'] } as const);
  const foreign = CURRENCY_PLACES.filter(
    (place) => place.currency !== reportingCurrency && currencies.includes(place.currency),
  );
  return { home, foreign };
}
