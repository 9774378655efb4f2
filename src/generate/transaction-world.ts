/**
 * What the per-transaction path reads of the entity world, apart from faker and the snapshot fields: plain
 * data (`TransactionWorldData`) that a worker thread receives by structured clone in a few milliseconds,
 * instead of loading faker and rebuilding the pools itself (~1.5 s and ~80 MB per worker for the default
 * world). The hot lookups are packed in typed arrays so a record touches a few cache lines, not objects.
 */
import { AliasTable, type CounterRng } from './counter-rng.ts';
import type { Merchant } from './entity-world.ts';
import { asciiBytes, type LineBytes } from './line-bytes.ts';

const C = 67;
const K = 75;
const DASH = 45;
/**
 * A card slot's record in `TransactionWorld.slots`: its first PAN (bytes 0-15; a 15-digit PAN leaves byte 15
 * at 0), then as int32s its customer, its position among the customer's cards (1-based), the day of its first
 * replacement and its PAN's length. 32 bytes, so a record never straddles two cache lines: a record with a
 * card that was never replaced reads this one line for its card id, generation and PAN.
 */
const SLOT_BYTES = 32;
const SLOT_INTS = SLOT_BYTES / 4;
const PAN_BYTES = 16;
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
  /** Card slot records (`SLOT_BYTES` each), as bytes and as int32s. */
  private readonly slotBytes: Uint8Array;
  private readonly slotInts: Int32Array;
  /** By card slot, for slots replaced at least once: replacement days, and per generation id and PAN bytes. */
  private readonly replaced: ({ replaceDays: number[]; ids: Uint8Array[]; pans: Uint8Array[] } | undefined)[];

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
    const slots = data.firstPans.length;
    this.slotBytes = new Uint8Array(slots * SLOT_BYTES);
    this.slotInts = new Int32Array(this.slotBytes.buffer);
    for (let slot = 0; slot < slots; slot++) {
      const pan = data.firstPans[slot]!;
      if (pan.length > PAN_BYTES)
        throw new Error(`PAN of card slot ${slot} is longer than ${PAN_BYTES} digits`);
      for (let k = 0; k < pan.length; k++) this.slotBytes[slot * SLOT_BYTES + k] = pan.charCodeAt(k);
      const customer = data.cardCustomer[slot]!;
      const record = slot * SLOT_INTS;
      this.slotInts[record + 4] = customer;
      this.slotInts[record + 5] = slot - data.customerHot[customer * 3 + 1]! + 1;
      this.slotInts[record + 6] = data.replacedCards.get(slot)?.replaceDays[0] ?? NEVER_DAY;
      this.slotInts[record + 7] = pan.length;
    }
    this.replaced = Array.from({ length: slots }, () => undefined);
    for (const [slot, card] of data.replacedCards) {
      this.replaced[slot] = {
        replaceDays: card.replaceDays,
        ids: packedBytes(card.ids),
        pans: packedBytes(card.pans),
      };
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
    if (day < this.slotInts[slot * SLOT_INTS + 6]!) return 0;
    const replaceDays = this.replaced[slot]!.replaceDays;
    let generation = 0;
    while (generation < replaceDays.length && replaceDays[generation]! <= day) generation++;
    return generation;
  }

  pan(slot: number, generation: number): string {
    return generation === 0
      ? this.data.firstPans[slot]!
      : this.data.replacedCards.get(slot)!.pans[generation]!;
  }

  /** Writes `pan(slot, generation)`. */
  writePan(out: LineBytes, slot: number, generation: number): void {
    if (generation === 0) out.copy(this.slotBytes, slot * SLOT_BYTES, this.slotInts[slot * SLOT_INTS + 7]!);
    else out.bytes(this.replaced[slot]!.pans[generation]!);
  }

  /**
   * Writes the card id (`CardSlot.ids[generation]`); a first card's id is rebuilt from its slot record,
   * which is cheaper than a cache miss on a string.
   */
  writeCardId(out: LineBytes, slot: number, generation: number): void {
    if (generation > 0) {
      out.bytes(this.replaced[slot]!.ids[generation]!);
      return;
    }
    out.byte(K);
    out.padded(this.slotInts[slot * SLOT_INTS + 4]! + 1, 7);
    out.byte(DASH);
    out.digits(this.slotInts[slot * SLOT_INTS + 5]!);
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

/** The bytes of many short ASCII texts, as views into one buffer (one allocation, not one per text). */
function packedBytes(texts: readonly string[]): Uint8Array[] {
  const all = asciiBytes(texts.join(''));
  const views: Uint8Array[] = [];
  let offset = 0;
  for (const text of texts) {
    views.push(all.subarray(offset, offset + text.length));
    offset += text.length;
  }
  return views;
}
