/**
 * How card spending looks per merchant category: how often people buy there, how much (a log-normal around a
 * typical ticket in reporting-currency units), when (hour-of-day shape), through which channel, and how often
 * the merchant is abroad. These numbers shape the marts; they are rough Korean-issuer figures, not data.
 */

export type HourShape = 'daytime' | 'meals' | 'evening' | 'commute' | 'flat';

export interface CategoryProfile {
  /** Relative share of transactions. */
  share: number;
  /** Typical ticket in KRW-equivalent won; the log-normal median. */
  medianWon: number;
  /** Spread of the log-normal: 0.5 is tight (fuel), 1.2 is wide (travel). */
  sigma: number;
  minWon: number;
  maxWon: number;
  /** [online, pos, mobile] weights. */
  channels: readonly [number, number, number];
  hours: HourShape;
  /** Share of this category's merchants that are abroad (cross-border currency). */
  foreignShare: number;
  /** Multiplier of the share on Saturday and Sunday. */
  weekendFactor: number;
}

export const CATEGORY_PROFILES: Readonly<Record<string, CategoryProfile>> = {
  grocery: p(22, 24_000, 0.8, 1_000, 400_000, [0.15, 0.7, 0.15], 'daytime', 0.01, 1.3),
  dining: p(20, 14_000, 0.7, 3_000, 300_000, [0.05, 0.75, 0.2], 'meals', 0.02, 1.2),
  retail: p(10, 45_000, 1.0, 2_000, 3_000_000, [0.25, 0.6, 0.15], 'daytime', 0.03, 1.4),
  transport: p(9, 2_500, 0.6, 1_250, 80_000, [0.05, 0.55, 0.4], 'commute', 0.01, 0.6),
  online_retail: p(8, 38_000, 0.9, 1_000, 2_000_000, [0.7, 0, 0.3], 'evening', 0.15, 1.1),
  fuel: p(5, 60_000, 0.4, 10_000, 200_000, [0, 0.95, 0.05], 'commute', 0, 1.0),
  digital_goods: p(4, 9_900, 0.7, 1_000, 150_000, [0.6, 0, 0.4], 'evening', 0.25, 1.2),
  services: p(4, 55_000, 1.0, 5_000, 2_000_000, [0.2, 0.7, 0.1], 'daytime', 0.02, 0.8),
  health: p(4, 30_000, 0.9, 3_000, 1_500_000, [0.05, 0.9, 0.05], 'daytime', 0.01, 0.5),
  entertainment: p(3, 25_000, 0.8, 5_000, 500_000, [0.4, 0.45, 0.15], 'evening', 0.05, 1.6),
  telecom: p(2, 65_000, 0.4, 10_000, 300_000, [0.6, 0.1, 0.3], 'flat', 0.01, 0.7),
  utilities: p(2, 80_000, 0.6, 10_000, 500_000, [0.7, 0.05, 0.25], 'flat', 0, 0.5),
  electronics: p(2, 250_000, 1.1, 10_000, 5_000_000, [0.45, 0.45, 0.1], 'daytime', 0.08, 1.5),
  travel: p(1.5, 350_000, 1.1, 20_000, 6_000_000, [0.7, 0.2, 0.1], 'flat', 0.35, 1.1),
  lodging: p(1.2, 180_000, 0.8, 40_000, 3_000_000, [0.55, 0.4, 0.05], 'flat', 0.3, 1.4),
  education: p(1, 150_000, 0.8, 20_000, 2_000_000, [0.4, 0.55, 0.05], 'daytime', 0.02, 0.5),
  financial: p(0.8, 100_000, 1.0, 10_000, 3_000_000, [0.6, 0.3, 0.1], 'daytime', 0.02, 0.5),
  government: p(0.5, 40_000, 1.0, 1_000, 1_000_000, [0.6, 0.35, 0.05], 'daytime', 0, 0.3),
};

function p(
  share: number,
  medianWon: number,
  sigma: number,
  minWon: number,
  maxWon: number,
  channels: readonly [number, number, number],
  hours: HourShape,
  foreignShare: number,
  weekendFactor: number,
): CategoryProfile {
  return { share, medianWon, sigma, minWon, maxWon, channels, hours, foreignShare, weekendFactor };
}

/** Relative activity per local hour 0..23 for each shape. */
export const HOUR_WEIGHTS: Readonly<Record<HourShape, readonly number[]>> = {
  // biome-ignore format: one row per shape reads as a chart
  daytime: [1, 0.5, 0.3, 0.2, 0.2, 0.5, 1, 2, 4, 6, 8, 9, 10, 9, 9, 9, 9, 9, 10, 9, 7, 5, 3, 2],
  // biome-ignore format: one row per shape reads as a chart
  meals: [2, 1, 0.5, 0.3, 0.2, 0.3, 1, 3, 4, 3, 3, 8, 14, 10, 4, 3, 3, 6, 12, 13, 10, 7, 5, 3],
  // biome-ignore format: one row per shape reads as a chart
  evening: [6, 4, 2, 1, 0.5, 0.5, 1, 2, 3, 4, 5, 5, 6, 6, 6, 6, 7, 8, 9, 11, 13, 14, 12, 9],
  // biome-ignore format: one row per shape reads as a chart
  commute: [1, 0.5, 0.3, 0.3, 0.5, 2, 6, 12, 12, 6, 4, 4, 5, 4, 4, 5, 6, 10, 12, 8, 5, 3, 2, 1],
  // biome-ignore format: one row per shape reads as a chart
  flat: [3, 2, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 5, 5, 4, 4],
};

export const DECLINE_REASONS = [
  'insufficient_funds',
  'do_not_honor',
  'exceeds_limit',
  'expired_card',
  'incorrect_pin',
  'suspected_fraud',
] as const;
