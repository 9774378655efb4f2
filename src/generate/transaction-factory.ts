/**
 * Builds one transaction from its coordinates (ingest day, index) and formats it as a bronze JSON line. This
 * is the per-record hot path: a seeded sfc32 per record, alias tables for every weighted choice, and a
 * template string per line; faker is never called here.
 */
import { formatCents } from '../core/money.ts';
import { REQUIRED_TRANSACTION_FIELDS } from '../core/record-contract.ts';
import {
  CATEGORY_PROFILES,
  type CategoryProfile,
  DECLINE_REASONS,
  HOUR_WEIGHTS,
  type HourShape,
} from './category-profiles.ts';
import { AliasTable, CounterRng, hash32, STREAM, unit } from './counter-rng.ts';
import type { CurrencyPlace } from './currency-geography.ts';
import type { Merchant } from './entity-world.ts';
import { type GeneratorSettings, REFUND_WINDOW_DAYS } from './generator-settings.ts';
import { pad } from './pad.ts';
import { type InjectedDefect, type TransactionFate, transactionFate } from './transaction-fate.ts';
import type { TransactionWorld } from './transaction-world.ts';
import type { ZoneClock } from './zone-clock.ts';

export type Channel = 'online' | 'pos' | 'mobile';
const POS_ENTRY = new AliasTable([0.72, 0.23, 0.05]);
const POS_ENTRY_MODES = ['chip', 'contactless', 'swipe'];
const MOBILE_ENTRY_MODES = ['mobile_wallet', 'in_app'];
const DECLINE_TABLE = new AliasTable([40, 25, 15, 8, 7, 5]);

const DECLINE_RATE = 0.065;
const REVERSAL_RATE = 0.005;
/** Share of 16-record blocks that hold a card-testing burst (several tiny online charges on one card). */
const BURST_BLOCK_RATE = 0.002;
const BURST_BLOCK = 16;
/** Share of records that are a large fraudulent charge at a foreign merchant. */
const FOREIGN_FRAUD_RATE = 0.0008;

/** A transaction before formatting; versions (updates) are copies with one thing changed. */
export interface TransactionDraft {
  id: string;
  customerId: string;
  cardId: string;
  pan: string;
  merchant: Merchant;
  /** Local wall time in the business zone, seconds since 1970-01-01T00:00 local. */
  wallSeconds: number;
  /** Amount × 100 as an integer (cents; whole-unit currencies always end in 00). */
  amountMinor: number;
  status: 'approved' | 'declined' | 'reversed';
  declineReason: string | undefined;
  isRefund: boolean;
  channel: Channel;
  entryMode: string;
  isFraud: boolean;
  originalId: string | undefined;
}

const idPrefixes = new Map<string, string>();
/** `T20250301-00000042`: the ingest date and the index; unique and stable across runs. */
export function transactionId(index: number, dateText: string): string {
  let prefix = idPrefixes.get(dateText);
  if (prefix === undefined) {
    prefix = `T${dateText.replaceAll('-', '')}-`;
    idPrefixes.set(dateText, prefix);
  }
  return prefix + (index < 1e8 ? pad(index, 8) : index);
}

export function eventDayOf(draft: TransactionDraft): number {
  return Math.floor(draft.wallSeconds / 86_400);
}

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

  constructor(
    private readonly settings: GeneratorSettings,
    private readonly world: TransactionWorld,
    private readonly clock: ZoneClock,
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
  draft(day: number, index: number, fate: TransactionFate, dateText: string): TransactionDraft {
    const id = transactionId(index, dateText);
    const rng = this.rng.reset(this.settings.seed, STREAM.transaction, day, index);
    const burst = this.burstDraft(day, index, id, rng);
    if (burst) return burst;
    if (fate.isRefund) {
      const refund = this.refundDraft(day, id, rng);
      if (refund) return refund;
    }
    return this.purchaseDraft(day - fate.lateDays, id, rng);
  }

  private purchaseDraft(eventDay: number, id: string, rng: CounterRng): TransactionDraft {
    let merchant: Merchant;
    let isFraud = false;
    let won: number;
    let hours: AliasTable;
    if (this.world.foreignMerchants.length > 0 && rng.chance(FOREIGN_FRAUD_RATE)) {
      merchant = this.world.merchants[rng.pick(this.world.foreignMerchants)]!;
      won = rng.between(8, 60) * 100_000;
      isFraud = true;
      hours = this.hoursByCategory.get(merchant.category)!;
    } else {
      // 1970-01-01 was a Thursday: (day + 4) % 7 is 0 on Sundays and 6 on Saturdays.
      const weekend = ((eventDay + 4) % 7) % 6 === 0;
      const category = this.categories[(weekend ? this.weekendTable : this.weekdayTable).sample(rng)]!;
      const pool = category.pool;
      merchant = this.world.merchants[pool.merchants[pool.table.sample(rng)]!]!;
      hours = category.hours;
      const { medianWon, sigma, minWon, maxWon } = category.profile;
      won = Math.min(maxWon, Math.max(minWon, medianWon * Math.exp(sigma * rng.normal())));
    }
    const profile = merchant.profile;
    const hour = hours.sample(rng);
    const customer = this.world.pickCustomer(eventDay, rng);
    const card = this.world.cardOn(this.world.pickCard(customer, eventDay, rng), eventDay);
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
      id,
      customerId: this.world.customerId(customer),
      cardId: card.id,
      pan: card.pan,
      merchant,
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
      originalId: undefined,
    };
  }

  /**
   * Card testing: a block of consecutive records where the first few are tiny online charges on one card
   * within minutes. Keyed by the block, so each record of the burst is still built on its own.
   */
  private burstDraft(day: number, index: number, id: string, rng: CounterRng): TransactionDraft | undefined {
    const block = Math.floor(index / BURST_BLOCK);
    const blockHash = hash32(this.settings.seed, STREAM.fraudBurst, day, block);
    if (unit(blockHash) >= BURST_BLOCK_RATE || this.onlineCategories.length === 0) return undefined;
    const position = index % BURST_BLOCK;
    if (position >= 3 + (blockHash % 6)) return undefined;
    const shared = new CounterRng(this.settings.seed, STREAM.fraudBurst, day, block);
    const category = shared.pick(this.onlineCategories);
    const pool = this.world.merchantsByCategory.get(category)!;
    const merchant = this.world.merchants[pool.merchants[shared.int(pool.merchants.length)]!]!;
    const customer = this.world.pickCustomer(day, shared);
    const card = this.world.cardOn(this.world.pickCard(customer, day, shared), day);
    const start = day * 86_400 + shared.int(86_400 - 3600);
    const declined = rng.chance(0.4);
    return {
      id,
      customerId: this.world.customerId(customer),
      cardId: card.id,
      pan: card.pan,
      merchant,
      wallSeconds: start + position * 45 + rng.int(40),
      amountMinor: toMinor(rng.between(5, 30) * 100, merchant.place),
      status: declined ? 'declined' : 'approved',
      declineReason: declined ? 'suspected_fraud' : undefined,
      isRefund: false,
      channel: 'online',
      entryMode: 'ecommerce',
      isFraud: true,
      originalId: undefined,
    };
  }

  /** A refund of an approved purchase sent 1..14 days earlier; undefined when that record was no clean purchase. */
  private refundDraft(day: number, id: string, rng: CounterRng): TransactionDraft | undefined {
    const originalDay = day - 1 - rng.int(REFUND_WINDOW_DAYS);
    const originalIndex = rng.int(this.settings.rowsPerDay);
    const partial = rng.chance(0.2);
    const share = 0.2 + 0.6 * rng.next();
    const wallSeconds = day * 86_400 + 9 * 3600 + rng.int(12 * 3600);
    const originalFate = transactionFate(this.settings, originalDay, originalIndex);
    if (originalFate.defect || originalFate.isRefund) return undefined;
    const original = this.draft(originalDay, originalIndex, originalFate, epochDayString(originalDay));
    if (original.status !== 'approved' || original.isFraud) return undefined;
    const unitMinor = original.merchant.place.decimals === 0 ? 100 : 1;
    const amountMinor = partial
      ? Math.max(unitMinor, Math.round((original.amountMinor * share) / unitMinor) * unitMinor)
      : original.amountMinor;
    return {
      ...original,
      id,
      wallSeconds,
      amountMinor,
      isRefund: true,
      originalId: original.id,
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
      const step = original.merchant.place.decimals === 0 ? 1000 : 1;
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

  /**
   * The bronze JSON line of a clean record (no newline): one concatenation of few pieces (the merchant's
   * constant stretches are precomputed), which V8 builds and flattens faster than any piecewise writing.
   */
  format(d: TransactionDraft): string {
    const parts = d.merchant.lineParts;
    return (
      '{"transaction_id":"' +
      d.id +
      '","customer_id":"' +
      d.customerId +
      '","card_id":"' +
      d.cardId +
      parts[0] +
      this.clock.format(d.wallSeconds) +
      '","amount":"' +
      formatCents(d.amountMinor) +
      parts[1] +
      d.status +
      (d.isRefund ? '","is_refund":true,"channel":"' : '","is_refund":false,"channel":"') +
      d.channel +
      '","card_number":"' +
      d.pan +
      '","entry_mode":"' +
      d.entryMode +
      parts[2] +
      (d.declineReason ? '"' + d.declineReason + '"' : 'null') +
      (d.isFraud
        ? ',"is_fraud":true,"original_transaction_id":'
        : ',"is_fraud":false,"original_transaction_id":') +
      (d.originalId ? '"' + d.originalId + '"}' : 'null}')
    );
  }

  /** The JSON line of a bad record: the clean record with exactly one defect; the variant comes from the record's own hash. */
  formatBad(d: TransactionDraft, defect: InjectedDefect, day: number, index: number): string {
    const record: Record<string, unknown> = JSON.parse(this.format(d));
    const pick = hash32(this.settings.seed, STREAM.defect, day, index);
    switch (defect) {
      case 'malformed_record': {
        const line = JSON.stringify(record);
        // A strict prefix of a JSON object never parses.
        return line.slice(0, 20 + (pick % (line.length - 40)));
      }
      case 'missing_required':
        delete record[MISSING_CANDIDATES[pick % MISSING_CANDIDATES.length]!];
        break;
      case 'invalid_amount':
        record['amount'] = pick % 2 === 0 ? `${record['amount']}5` : 'abc';
        break;
      case 'invalid_boolean':
        record['is_refund'] = pick % 2 === 0 ? 'maybe' : 2;
        break;
      case 'non_positive_amount':
        record['amount'] = `-${record['amount']}`;
        break;
      case 'unknown_currency':
        record['currency'] = 'ZZZ';
        break;
      case 'invalid_mcc':
        record['mcc'] =
          pick % 2 === 0 ? d.merchant.mcc.slice(0, 3) : `${d.merchant.mcc.slice(0, 2)}X${d.merchant.mcc[3]}`;
        break;
      case 'invalid_timestamp':
        record['txn_ts'] = `${String(record['txn_ts']).slice(0, 10)}T25:61:00`;
        break;
      case 'invalid_pan': {
        const pan = d.pan;
        record['card_number'] = pan.slice(0, -1) + String((Number(pan.at(-1)) + 1) % 10);
        break;
      }
      default: {
        const unreachable: never = defect;
        throw new Error(`unknown defect ${String(unreachable)}`);
      }
    }
    return JSON.stringify(record);
  }
}

/** Required fields a missing_required record may lack; never transaction_id, so the record stays traceable. */
const MISSING_CANDIDATES = REQUIRED_TRANSACTION_FIELDS.filter((field) => field !== 'transaction_id');

function entryMode(channel: Channel, rng: CounterRng): string {
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

const dayStrings = new Map<number, string>();
/** Cached `YYYY-MM-DD` of an epoch day (the hot path asks for the same few days millions of times). */
export function epochDayString(day: number): string {
  let text = dayStrings.get(day);
  if (text === undefined) {
    text = new Date(day * 86_400_000).toISOString().slice(0, 10);
    dayStrings.set(day, text);
  }
  return text;
}
