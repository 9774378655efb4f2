/**
 * Builds one transaction from its coordinates (ingest day, index) and writes it as a bronze JSON line. This
 * is the per-record hot path: a seeded sfc32 per record, alias tables for every weighted choice, and the line
 * written as bytes straight into the chunk's buffer (no string per field); faker is never called here.
 */
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
import { type GeneratorSettings, REFUND_WINDOW_DAYS } from './generator-settings.ts';
import { asciiBytes, LineBytes } from './line-bytes.ts';
import { type InjectedDefect, type TransactionFate, transactionFate } from './transaction-fate.ts';
import type { TransactionWorld } from './transaction-world.ts';
import type { ZoneClock } from './zone-clock.ts';

const STATUSES = ['approved', 'declined', 'reversed'] as const;
type Status = (typeof STATUSES)[number];
const CHANNELS = ['online', 'pos', 'mobile'] as const;
export type Channel = (typeof CHANNELS)[number];
const POS_ENTRY = new AliasTable([0.72, 0.23, 0.05]);
const POS_ENTRY_MODES = ['chip', 'contactless', 'swipe'] as const;
const MOBILE_ENTRY_MODES = ['mobile_wallet', 'in_app'] as const;
const ENTRY_MODES = ['ecommerce', ...POS_ENTRY_MODES, ...MOBILE_ENTRY_MODES] as const;
type EntryMode = (typeof ENTRY_MODES)[number];
type DeclineReason = (typeof DECLINE_REASONS)[number];
const DECLINE_TABLE = new AliasTable([40, 25, 15, 8, 7, 5]);

const DECLINE_RATE = 0.065;
const REVERSAL_RATE = 0.005;
/** Share of 16-record blocks that hold a card-testing burst (several tiny online charges on one card). */
const BURST_BLOCK_RATE = 0.002;
const BURST_BLOCK = 16;
/** Share of records that are a large fraudulent charge at a foreign merchant. */
const FOREIGN_FRAUD_RATE = 0.0008;

/**
 * A transaction before formatting; versions (updates) are copies with one thing changed. Ids are kept as the
 * numbers they are made of and written as digits, so a record allocates no id strings.
 */
export interface TransactionDraft {
  /** The ingest day and index the transaction id is made of (`transactionId`). */
  day: number;
  index: number;
  /** Customer index (`C<index + 1>`). */
  customer: number;
  /** The card: its slot and which card of the slot (0 until replaced). */
  cardSlot: number;
  cardGeneration: number;
  /** Index in the world's merchants. */
  merchant: number;
  /** Local wall time in the business zone, seconds since 1970-01-01T00:00 local. */
  wallSeconds: number;
  /** Amount × 100 as an integer (cents; whole-unit currencies always end in 00). */
  amountMinor: number;
  status: Status;
  declineReason: DeclineReason | undefined;
  isRefund: boolean;
  channel: Channel;
  entryMode: EntryMode;
  isFraud: boolean;
  /** For a refund, the ingest day and index of the purchase it refunds; otherwise -1 and -1. */
  originalDay: number;
  originalIndex: number;
}

// The constant stretches of a line as bytes, each as long as the fields allow (see `write`): a piece per
// combination of the few-valued fields, rather than a piece per field.
const CUSTOMER_KEY = asciiBytes('","customer_id":"');
const CARD_KEY = asciiBytes('","card_id":"');
const AMOUNT_KEY = asciiBytes('","amount":"');
const STATUS_CODE = { approved: 0, declined: 1, reversed: 2 } as const satisfies Record<Status, number>;
const CHANNEL_CODE = { online: 0, pos: 1, mobile: 2 } as const satisfies Record<Channel, number>;
/** `approved","is_refund":false,"channel":"pos","card_number":"`, by (status, is_refund, channel). */
const STATUS_PIECES = STATUSES.flatMap((status) =>
  [false, true].flatMap((isRefund) =>
    CHANNELS.map((channel) =>
      asciiBytes(`${status}","is_refund":${isRefund},"channel":"${channel}","card_number":"`),
    ),
  ),
);
const ENTRY_MODE_PIECES = Object.fromEntries(
  ENTRY_MODES.map((mode) => [mode, asciiBytes(`","entry_mode":"${mode}`)]),
) as Record<EntryMode, Uint8Array>;
const DECLINE_CODE = Object.fromEntries(DECLINE_REASONS.map((reason, code) => [reason, code + 1])) as Record<
  DeclineReason,
  number
>;
/**
 * `null,"is_fraud":false,"original_transaction_id":null}` and a newline, by (decline reason or none,
 * is_fraud, refund or not); a refund's piece stops before its original id.
 */
const DECLINE_PIECES = [undefined, ...DECLINE_REASONS].flatMap((reason) =>
  [false, true].flatMap((isFraud) =>
    [false, true].map((isRefund) =>
      asciiBytes(
        `${reason ? `"${reason}"` : 'null'},"is_fraud":${isFraud},"original_transaction_id":` +
          (isRefund ? '"' : 'null}\n'),
      ),
    ),
  ),
);
const REFUND_LINE_END = asciiBytes('"}\n');

const lineHeads = new Map<number, Uint8Array>();
const idPrefixes = new Map<number, Uint8Array>();
/** `T20250301-`: a transaction id up to its index (`T20250301-00000042`, unique and stable across runs). */
function idPrefix(day: number): Uint8Array {
  let prefix = idPrefixes.get(day);
  if (prefix === undefined) {
    prefix = asciiBytes(`T${epochDayString(day).replaceAll('-', '')}-`);
    idPrefixes.set(day, prefix);
  }
  return prefix;
}

/** `{"transaction_id":"T20250301-`: a line up to its id's index. */
function lineHead(day: number): Uint8Array {
  let head = lineHeads.get(day);
  if (head === undefined) {
    head = new Uint8Array([...asciiBytes('{"transaction_id":"'), ...idPrefix(day)]);
    lineHeads.set(day, head);
  }
  return head;
}

/**
 * Room a line needs besides its merchant's constant stretches: the keys and punctuation (~330 bytes), ids,
 * PAN, timestamp and amount, with a wide margin.
 */
const LINE_BYTES_BESIDES_MERCHANT = 1024;

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
  /** Where `format` builds a line it returns as text. */
  private readonly scratch = new LineBytes(Buffer.allocUnsafe(4096));
  /** The burst hash of the block last drafted: records come in index order, 16 to a block. */
  private burstDay = Number.NaN;
  private burstBlock = Number.NaN;
  private burstHash = 0;
  /** `lineHead` of the day last written. */
  private lastHeadDay = Number.NaN;
  private lastHead: Uint8Array = new Uint8Array(0);

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

  /**
   * Writes the bronze JSON line of a clean record, newline included: a dozen ready-made byte pieces (the
   * merchant's, the day's, and one per combination of the few-valued fields) and the numbers as digits.
   */
  write(d: TransactionDraft, out: LineBytes): void {
    const parts = this.world.merchantLineParts;
    const merchant = 3 * d.merchant;
    out.reserve(
      LINE_BYTES_BESIDES_MERCHANT +
        parts[merchant]!.length +
        parts[merchant + 1]!.length +
        parts[merchant + 2]!.length,
    );
    out.bytes(this.head(d.day));
    out.padded(d.index, 8);
    out.bytes(CUSTOMER_KEY);
    this.world.writeCustomerId(out, d.customer);
    out.bytes(CARD_KEY);
    this.world.writeCardId(out, d.cardSlot, d.cardGeneration);
    out.bytes(parts[merchant]!);
    this.clock.write(out, d.wallSeconds);
    out.bytes(AMOUNT_KEY);
    out.cents(d.amountMinor);
    out.bytes(parts[merchant + 1]!);
    out.bytes(
      STATUS_PIECES[
        (STATUS_CODE[d.status] * 2 + (d.isRefund ? 1 : 0)) * CHANNELS.length + CHANNEL_CODE[d.channel]
      ]!,
    );
    this.world.writePan(out, d.cardSlot, d.cardGeneration);
    out.bytes(ENTRY_MODE_PIECES[d.entryMode]);
    out.bytes(parts[merchant + 2]!);
    const decline = d.declineReason === undefined ? 0 : DECLINE_CODE[d.declineReason];
    const refund = d.originalIndex >= 0;
    out.bytes(DECLINE_PIECES[(decline * 2 + (d.isFraud ? 1 : 0)) * 2 + (refund ? 1 : 0)]!);
    if (refund) {
      out.bytes(idPrefix(d.originalDay));
      out.padded(d.originalIndex, 8);
      out.bytes(REFUND_LINE_END);
    }
    out.rows++;
  }

  /** The line `write` writes, as text without its newline: for the few records that are compared or altered. */
  format(d: TransactionDraft): string {
    this.write(d, this.scratch);
    const line = this.scratch.takeTextFrom(0);
    return line.slice(0, -1);
  }

  private head(day: number): Uint8Array {
    if (day !== this.lastHeadDay) {
      this.lastHeadDay = day;
      this.lastHead = lineHead(day);
    }
    return this.lastHead;
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
      case 'invalid_mcc': {
        const mcc = this.world.merchants[d.merchant]!.mcc;
        record['mcc'] = pick % 2 === 0 ? mcc.slice(0, 3) : `${mcc.slice(0, 2)}X${mcc[3]}`;
        break;
      }
      case 'invalid_timestamp':
        record['txn_ts'] = `${String(record['txn_ts']).slice(0, 10)}T25:61:00`;
        break;
      case 'invalid_pan': {
        const pan = this.world.pan(d.cardSlot, d.cardGeneration);
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
