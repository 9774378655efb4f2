/**
 * What the per-transaction path reads of the entity world, apart from faker and the snapshot fields: plain
 * data (`TransactionWorldData`) that a worker thread receives by structured clone in a few milliseconds,
 * instead of loading faker and rebuilding the pools itself (~1.5 s and ~80 MB per worker for the default
 * world). The hot lookups are packed in typed arrays so a record touches a few cache lines, not objects.
 */
import { AliasTable, type CounterRng } from './counter-rng.ts';
import type { Merchant } from './entity-world.ts';
import { pad } from './pad.ts';

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
  private readonly customerTable: AliasTable;

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

  /** The id and PAN of a card slot on `day`; the common case (never replaced) reads no card object. */
  cardOn(slot: number, day: number): { id: string; pan: string } {
    if (this.data.cardHot[slot * 3 + 2] === 0) {
      return { id: this.slotBaseId(slot), pan: this.data.firstPans[slot]! };
    }
    const card = this.data.replacedCards.get(slot)!;
    let generation = 0;
    while (generation < card.replaceDays.length && card.replaceDays[generation]! <= day) generation++;
    return { id: card.ids[generation]!, pan: card.pans[generation]! };
  }

  /** Same text as `CardSlot.baseId`, rebuilt rather than read, which is cheaper than a cache miss. */
  private slotBaseId(slot: number): string {
    const customer = this.data.cardCustomer[slot]!;
    return `K${pad(customer + 1, 7)}-${slot - this.data.customerHot[customer * 3 + 1]! + 1}`;
  }

  /** Same text as `Customer.id`, rebuilt rather than read. */
  customerId(customer: number): string {
    return `C${pad(customer + 1, 7)}`;
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
