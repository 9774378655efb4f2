/** A merchant of the synthetic world, as the entity snapshots and the per-transaction path both read it. */
import type { CategoryProfile } from './category-profiles.ts';
import type { CurrencyPlace } from './currency-geography.ts';

export interface Merchant {
  id: string;
  name: string;
  /** The name as an ASCII JSON string literal, quotes included, so the hot path never escapes. */
  nameJson: string;
  mcc: string;
  category: string;
  profile: CategoryProfile;
  place: CurrencyPlace;
  city: string;
  cityJson: string;
  /**
   * The merchant's constant stretches of a transaction line, precomputed so a line is a few pieces:
   * merchant_id…txn_ts opening quote, currency…status opening quote, country…decline_reason key.
   */
  lineParts: readonly [string, string, string];
}
