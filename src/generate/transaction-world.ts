/**
 * What the per-transaction path reads of the entity world, apart from faker and the snapshot fields: plain
 * data (`TransactionWorldData`) that a worker thread receives by structured clone in a few milliseconds,
 * instead of loading faker and rebuilding the pools itself (seconds and tens of MB per worker). The hot
 * lookups are packed in typed arrays so a record touches a few cache lines, not objects.
 */
import { AliasTable, type CounterRng } from './counter-rng.ts';
import { asciiBytes, type LineBytes } from './line-bytes.ts';
import type { Merchant } from './merchant.ts';

const C = 67;
const K = 75;
const DASH = 45;
/**
 * Cards are packed in 32-byte records, so a record never straddles two cache lines and a transaction reads
 * one or two lines for its card id, generation and PAN, instead of chasing objects and arrays.
 *
 * A card slot's record (in `slots`, by slot): its first card's PAN in bytes 0-15, then as int32s its customer,
 * where its later cards' records start in `replacements` and the day its first card is replaced (`NEVER_DAY`
 * if never).
 * A later card's record (in `replacements`, a slot's in generation order): its PAN, then the day it is
 * replaced in turn (or `NEVER_DAY`).
 * Both keep the PAN's length in the last int32.
 */
const RECORD_BYTES = 32;
const RECORD_INTS = RECORD_BYTES / 4;
const PAN_BYTES = 16;
const CUSTOMER = 4;
const LATER_CARDS = 5;
const REPLACED_ON = 6;
const PAN_LENGTH = 7;
const NEVER_DAY = 2 ** 31 - 1;

export interface TransactionWorldData {
  merchants: Merchant[];
  /** Per category that has merchants (in catalog order): member merchant indexes and their popularity. */
  merchantPools: { category: string; merchants: number[]; popularity: number[] }[];
  foreignMerchants: number[];
  /** Activity weight per customer. */
  customerWeights: Float64Array;
  /** Per customer: signup day, first card slot, card count. */
  customerHot: Int32Array;
  /** Per card slot: issue day, close day, number of replacements. */
  cardHot: Float64Array;
  /** Per card slot: its customer and its first PAN. */
  cardCustomer: Int32Array;
  firstPans: string[];
  /** Card slots replaced at least once: the day of each replacement, and per generation its id and PAN. */
  replacedCards: Map<number, { replaceDays: number[]; ids: string[]; pans: string[] }>;
}

export class TransactionWorld {
  readonly merchants: readonly Merchant[];
  /** Merchant indexes per category, and their popularity tables. */
  readonly merchantsByCategory = new Map<string, { merchants: number[]; table: AliasTable }>();
  readonly foreignMerchants: readonly number[];
  /** Per merchant, its three `lineParts` as bytes: merchant `m`'s are at 3m, 3m+1, 3m+2. */
  readonly merchantLineParts: Uint8Array[];
  private readonly customerTable: AliasTable;
  /** Card records (see `RECORD_BYTES`) of each slot's first card, and of later cards, as bytes and int32s. */
  private readonly slots: CardRecords;
  private readonly replacements: CardRecords;

  constructor(private readonly data: TransactionWorldData) {
    this.merchants = data.merchants;
    this.foreignMerchants = data.foreignMerchants;
    for (const pool of data.merchantPools) {
      this.merchantsByCategory.set(pool.category, {
        merchants: pool.merchants,
        table: new AliasTable(pool.popularity),
      });
    }
    this.customerTable = new AliasTable(data.customerWeights);
    this.merchantLineParts = data.merchants.flatMap((merchant) => merchant.lineParts.map(asciiBytes));
    const slotCount = data.firstPans.length;
    let replacementCount = 0;
    for (const card of data.replacedCards.values()) replacementCount += card.replaceDays.length;
    this.slots = cardRecords(slotCount);
    this.replacements = cardRecords(replacementCount);
    let replacement = 0;
    for (let slot = 0; slot < slotCount; slot++) {
      const customer = data.cardCustomer[slot]!;
      const record = this.slots.put(slot, data.firstPans[slot]!);
      record[CUSTOMER] = customer;
      const replaced = data.replacedCards.get(slot);
      record[REPLACED_ON] = replaced?.replaceDays[0] ?? NEVER_DAY;
      if (!replaced) continue;
      record[LATER_CARDS] = replacement;
      for (let generation = 1; generation <= replaced.replaceDays.length; generation++) {
        const later = this.replacements.put(replacement++, replaced.pans[generation]!);
        later[REPLACED_ON] = replaced.replaceDays[generation] ?? NEVER_DAY;
      }
    }
  }

  /** A card slot of the customer usable on `day`: mostly the first card, otherwise another open one. */
  pickCard(customer: number, day: number, rng: CounterRng): number {
    const { customerHot, cardHot } = this.data;
    const firstCard = customerHot[customer * 3 + 1]!;
    const cardCount = customerHot[customer * 3 + 2]!;
    if (cardCount > 1 && !rng.chance(0.65)) {
      const other = firstCard + 1 + rng.int(cardCount - 1);
      if (cardHot[other * 3]! <= day && cardHot[other * 3 + 1]! > day) return other;
    }
    return firstCard;
  }

  /** Which card of a slot is in use on `day`: 0 until its first replacement, then 1, 2, … */
  cardGeneration(slot: number, day: number): number {
    if (day < this.slots.ints[slot * RECORD_INTS + REPLACED_ON]!) return 0;
    const ints = this.replacements.ints;
    let record = this.slots.ints[slot * RECORD_INTS + LATER_CARDS]! * RECORD_INTS;
    let generation = 1;
    while (day >= ints[record + REPLACED_ON]!) {
      record += RECORD_INTS;
      generation++;
    }
    return generation;
  }

  pan(slot: number, generation: number): string {
    return generation === 0
      ? this.data.firstPans[slot]!
      : this.data.replacedCards.get(slot)!.pans[generation]!;
  }

  /** Writes `pan(slot, generation)`. */
  writePan(out: LineBytes, slot: number, generation: number): void {
    if (generation === 0) {
      this.slots.writePan(out, slot);
    } else {
      this.replacements.writePan(out, this.slots.ints[slot * RECORD_INTS + LATER_CARDS]! + generation - 1);
    }
  }

  /**
   * Writes the card id, `CardSlot.ids[generation]`, rebuilt from the slot record and the customer's first slot
   * (no string to look up; the customer's line was read to pick the card).
   */
  writeCardId(out: LineBytes, slot: number, generation: number): void {
    const customer = this.slots.ints[slot * RECORD_INTS + CUSTOMER]!;
    out.byte(K);
    out.padded(customer + 1, 7);
    out.byte(DASH);
    out.digits(slot - this.data.customerHot[customer * 3 + 1]! + 1);
    if (generation > 0) {
      out.byte(DASH);
      out.digits(generation);
    }
  }

  /** Writes `Customer.id`. */
  writeCustomerId(out: LineBytes, customer: number): void {
    out.byte(C);
    out.padded(customer + 1, 7);
  }

  /** A customer index signed up by `day`, heavy users more often. */
  pickCustomer(day: number, rng: CounterRng): number {
    for (let attempt = 0; attempt < 32; attempt++) {
      const index = this.customerTable.sample(rng);
      if (this.data.customerHot[index * 3]! <= day) return index;
    }
    return 0; // signed up on world_start: always there
  }
}

/** Fixed-size card records (`RECORD_BYTES`) in one buffer, seen as bytes and as int32s. */
interface CardRecords {
  bytes: Uint8Array;
  ints: Int32Array;
  /** Writes a PAN into record `index` and returns the record's int32s to fill in the rest. */
  put(index: number, pan: string): { [field: number]: number };
  writePan(out: LineBytes, index: number): void;
}

function cardRecords(count: number): CardRecords {
  const bytes = new Uint8Array(count * RECORD_BYTES);
  const ints = new Int32Array(bytes.buffer);
  return {
    bytes,
    ints,
    put(index, pan) {
      if (pan.length > PAN_BYTES) throw new Error(`a PAN longer than ${PAN_BYTES} digits: ${pan.length}`);
      for (let k = 0; k < pan.length; k++) bytes[index * RECORD_BYTES + k] = pan.charCodeAt(k);
      ints[index * RECORD_INTS + PAN_LENGTH] = pan.length;
      return ints.subarray(index * RECORD_INTS, (index + 1) * RECORD_INTS);
    },
    writePan(out, index) {
      out.copy(bytes, index * RECORD_BYTES, ints[index * RECORD_INTS + PAN_LENGTH]!);
    },
  };
}
