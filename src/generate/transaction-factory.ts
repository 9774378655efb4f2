/**
 * The business rules of a synthetic transaction: from its coordinates (ingest day, index) and its fate, which
 * merchant, customer and card, when, how much, in which channel, approved or not, fraud, refunds of earlier
 * purchases and the corrected versions a feed sends later. A seeded sfc32 per record and alias tables for
 * every weighted choice; faker is never called here. The line is written by transaction-line-writer.ts.
 */
import {
  CATEGORY_PROFILES,
  type CategoryProfile,
  DECLINE_REASONS,
  HOUR_WEIGHTS,
  type HourShape,
} from './category-profiles.ts';
import { AliasTable, CounterRng, hash32, STREAM, unit } from './counter-rng.ts';
import type { CurrencyPlace } from './currency-geography.ts';
import { type GeneratorSettings, REFUND_WINDOW_DAYS } from './generator-settings.ts';
import {
  type Channel,
  type EntryMode,
  MOBILE_ENTRY_MODES,
  POS_ENTRY_MODES,
  type TransactionDraft,
} from './transaction-draft.ts';
import { type TransactionFate, transactionFate } from './transaction-fate.ts';
import type { TransactionWorld } from './transaction-world.ts';

const POS_ENTRY = new AliasTable([0.72, 0.23, 0.05]);
const DECLINE_TABLE = new AliasTable([40, 25, 15, 8, 7, 5]);
const DECLINE_RATE = 0.065;
const REVERSAL_RATE = 0.005;
/** Share of 16-record blocks that hold a card-testing burst (several tiny online charges on one card). */
const BURST_BLOCK_RATE = 0.002;
const BURST_BLOCK = 16;
/** Share of records that are a large fraudulent charge at a foreign merchant. */
const FOREIGN_FRAUD_RATE = 0.0008;

export class TransactionFactory {
  /** Categories that have merchants, each with its merchant pool and hour-of-day table, looked up by position. */
  private readonly categories: {
    name: string;
    profile: CategoryProfile;
    pool: { merchants: number[]; table: AliasTable };
    hours: AliasTable;
  }[];
  /** Hour-of-day table by category name, for records whose merchant was picked without its category. */
  private readonly hoursByCategory: Map<string, AliasTable>;
  private readonly weekdayTable: AliasTable;
  private readonly weekendTable: AliasTable;
  private readonly onlineCategories: string[];
  /** Re-keyed for each record; a refund draws everything it needs before building its original with it. */
  private readonly rng = new CounterRng(0, 0, 0);
  /** The burst hash of the block last drafted: records come in index order, 16 to a block. */
  private burstDay = Number.NaN;
  private burstBlock = Number.NaN;
  private burstHash = 0;

  constructor(
    private readonly settings: GeneratorSettings,
    private readonly world: TransactionWorld,
  ) {
    const hourTables = Object.fromEntries(
      Object.entries(HOUR_WEIGHTS).map(([shape, weights]) => [shape, new AliasTable(weights)]),
    ) as Record<HourShape, AliasTable>;
    this.categories = Object.entries(CATEGORY_PROFILES)
      .filter(([name]) => world.merchantsByCategory.has(name))
      .map(([name, profile]) => ({
        name,
        profile,
        pool: world.merchantsByCategory.get(name)!,
        hours: hourTables[profile.hours],
      }));
    this.hoursByCategory = new Map(this.categories.map((category) => [category.name, category.hours]));
    this.weekdayTable = new AliasTable(this.categories.map(({ profile }) => profile.share));
    this.weekendTable = new AliasTable(
      this.categories.map(({ profile }) => profile.share * profile.weekendFactor),
    );
    this.onlineCategories = ['digital_goods', 'online_retail'].filter((name) =>
      world.merchantsByCategory.has(name),
    );
  }

  /** The base transaction `index` of ingest day `day` (epoch day), as first sent. */
  draft(day: number, index: number, fate: TransactionFate): TransactionDraft {
    const rng = this.rng.reset(this.settings.seed, STREAM.transaction, day, index);
    const burst = this.burstDraft(day, index, rng);
    if (burst) return burst;
    if (fate.isRefund) {
      const refund = this.refundDraft(day, index, rng);
      if (refund) return refund;
    }
    return this.purchaseDraft(day - fate.lateDays, day, index, rng);
  }

  private purchaseDraft(eventDay: number, day: number, index: number, rng: CounterRng): TransactionDraft {
    let merchantIndex: number;
    let isFraud = false;
    let won: number;
    let hours: AliasTable;
    if (this.world.foreignMerchants.length > 0 && rng.chance(FOREIGN_FRAUD_RATE)) {
      merchantIndex = rng.pick(this.world.foreignMerchants);
      won = rng.between(8, 60) * 100_000;
      isFraud = true;
      hours = this.hoursByCategory.get(this.world.merchants[merchantIndex]!.category)!;
    } else {
      // 1970-01-01 was a Thursday: (day + 4) % 7 is 0 on Sundays and 6 on Saturdays.
      const weekend = ((eventDay + 4) % 7) % 6 === 0;
      const category = this.categories[(weekend ? this.weekendTable : this.weekdayTable).sample(rng)]!;
      const pool = category.pool;
      merchantIndex = pool.merchants[pool.table.sample(rng)]!;
      hours = category.hours;
      const { medianWon, sigma, minWon, maxWon } = category.profile;
      won = Math.min(maxWon, Math.max(minWon, medianWon * Math.exp(sigma * rng.normal())));
    }
    const merchant = this.world.merchants[merchantIndex]!;
    const profile = merchant.profile;
    const hour = hours.sample(rng);
    const customer = this.world.pickCustomer(eventDay, rng);
    const cardSlot = this.world.pickCard(customer, eventDay, rng);
    const channelRoll = rng.next() * (profile.channels[0] + profile.channels[1] + profile.channels[2]);
    let channel: Channel =
      channelRoll < profile.channels[0]
        ? 'online'
        : channelRoll < profile.channels[0] + profile.channels[1]
          ? 'pos'
          : 'mobile';
    if (isFraud && rng.chance(0.7)) channel = 'online';
    const declined = rng.chance(isFraud ? 0.35 : DECLINE_RATE);
    return {
      day,
      index,
      customer,
      cardSlot,
      cardGeneration: this.world.cardGeneration(cardSlot, eventDay),
      merchant: merchantIndex,
      wallSeconds: eventDay * 86_400 + hour * 3600 + rng.int(3600),
      amountMinor: toMinor(won, merchant.place),
      status: declined ? 'declined' : rng.chance(REVERSAL_RATE) ? 'reversed' : 'approved',
      declineReason: declined
        ? isFraud
          ? 'suspected_fraud'
          : DECLINE_REASONS[DECLINE_TABLE.sample(rng)]
        : undefined,
      isRefund: false,
      channel,
      entryMode: entryMode(channel, rng),
      isFraud,
      originalDay: -1,
      originalIndex: -1,
    };
  }

  /**
   * Card testing: a block of consecutive records where the first few are tiny online charges on one card
   * within minutes. Keyed by the block, so each record of the burst is still built on its own.
   */
  private burstDraft(day: number, index: number, rng: CounterRng): TransactionDraft | undefined {
    const block = Math.floor(index / BURST_BLOCK);
    if (day !== this.burstDay || block !== this.burstBlock) {
      this.burstDay = day;
      this.burstBlock = block;
      this.burstHash = hash32(this.settings.seed, STREAM.fraudBurst, day, block);
    }
    const blockHash = this.burstHash;
    if (unit(blockHash) >= BURST_BLOCK_RATE || this.onlineCategories.length === 0) return undefined;
    const position = index % BURST_BLOCK;
    if (position >= 3 + (blockHash % 6)) return undefined;
    const shared = new CounterRng(this.settings.seed, STREAM.fraudBurst, day, block);
    const category = shared.pick(this.onlineCategories);
    const pool = this.world.merchantsByCategory.get(category)!;
    const merchantIndex = pool.merchants[shared.int(pool.merchants.length)]!;
    const merchant = this.world.merchants[merchantIndex]!;
    const customer = this.world.pickCustomer(day, shared);
    const cardSlot = this.world.pickCard(customer, day, shared);
    const start = day * 86_400 + shared.int(86_400 - 3600);
    const declined = rng.chance(0.4);
    return {
      day,
      index,
      customer,
      cardSlot,
      cardGeneration: this.world.cardGeneration(cardSlot, day),
      merchant: merchantIndex,
      wallSeconds: start + position * 45 + rng.int(40),
      amountMinor: toMinor(rng.between(5, 30) * 100, merchant.place),
      status: declined ? 'declined' : 'approved',
      declineReason: declined ? 'suspected_fraud' : undefined,
      isRefund: false,
      channel: 'online',
      entryMode: 'ecommerce',
      isFraud: true,
      originalDay: -1,
      originalIndex: -1,
    };
  }

  /** A refund of an approved purchase sent 1..14 days earlier; undefined when that record was no clean purchase. */
  private refundDraft(day: number, index: number, rng: CounterRng): TransactionDraft | undefined {
    const originalDay = day - 1 - rng.int(REFUND_WINDOW_DAYS);
    const originalIndex = rng.int(this.settings.rowsPerDay);
    const partial = rng.chance(0.2);
    const share = 0.2 + 0.6 * rng.next();
    const wallSeconds = day * 86_400 + 9 * 3600 + rng.int(12 * 3600);
    const originalFate = transactionFate(this.settings, originalDay, originalIndex);
    if (originalFate.defect || originalFate.isRefund) return undefined;
    const original = this.draft(originalDay, originalIndex, originalFate);
    if (original.status !== 'approved' || original.isFraud) return undefined;
    const unitMinor = this.world.merchants[original.merchant]!.place.decimals === 0 ? 100 : 1;
    const amountMinor = partial
      ? Math.max(unitMinor, Math.round((original.amountMinor * share) / unitMinor) * unitMinor)
      : original.amountMinor;
    return {
      ...original,
      day,
      index,
      wallSeconds,
      amountMinor,
      isRefund: true,
      originalDay: original.day,
      originalIndex: original.index,
    };
  }

  /**
   * The corrected version a later record carries: approved → reversed, a corrected amount, or a corrected
   * timestamp (a few minutes, or the zone offset a feed got wrong, which often moves it to another event date).
   * Never later than the end of the day it is sent, so it is never a future timestamp.
   */
  updated(original: TransactionDraft, baseDay: number, index: number, sendDay: number): TransactionDraft {
    const rng = new CounterRng(this.settings.seed, STREAM.update, baseDay, index);
    const choice = rng.next();
    if (original.status === 'approved' && choice < 0.4) return { ...original, status: 'reversed' };
    if (choice < 0.7) {
      const step = this.world.merchants[original.merchant]!.place.decimals === 0 ? 1000 : 1;
      let amountMinor = Math.max(
        step,
        Math.round((original.amountMinor * (0.6 + 0.8 * rng.next())) / step) * step,
      );
      if (amountMinor === original.amountMinor) amountMinor += step;
      return { ...original, amountMinor };
    }
    const shift = (rng.chance(0.5) ? 9 * 3600 : rng.between(1, 120) * 60) * (rng.chance(0.5) ? 1 : -1);
    let wallSeconds = original.wallSeconds + shift;
    if (Math.floor(wallSeconds / 86_400) > sendDay) wallSeconds = original.wallSeconds - Math.abs(shift);
    return { ...original, wallSeconds };
  }
}

function entryMode(channel: Channel, rng: CounterRng): EntryMode {
  if (channel === 'online') return 'ecommerce';
  if (channel === 'mobile') return rng.pick(MOBILE_ENTRY_MODES);
  return POS_ENTRY_MODES[POS_ENTRY.sample(rng)]!;
}

/** Won-equivalent → integer minor units (×100) of the place's currency; whole-unit currencies stay whole. */
function toMinor(won: number, place: CurrencyPlace): number {
  if (place.decimals === 0) {
    const units = won / place.wonPerUnit;
    // Won prices end in tens; yen in ones.
    const step = place.currency === 'KRW' ? 10 : 1;
    return Math.max(step, Math.round(units / step) * step) * 100;
  }
  return Math.max(1, Math.round((won / place.wonPerUnit) * 100));
}
