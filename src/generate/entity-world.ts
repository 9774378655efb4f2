/**
 * The customers, cards and merchants transactions happen between. Faker builds the pools once per run (names,
 * emails, company names); everything that changes over time (a customer moving city, a card replaced, closed
 * or given a new limit) happens on days derived from a hash of (seed, entity), so the state on any date is
 * computed directly, without generating the days before it.
 */
// The per-locale entry points load one locale instead of all of them, which shortens start-up.
import { faker as fakerEn } from '@faker-js/faker/locale/en';
import { faker as fakerKo } from '@faker-js/faker/locale/ko';
import { dateToEpochDay, epochDayToDate, type IsoDate } from '../core/dates.ts';
import { luhnCheckDigit } from '../core/luhn.ts';
import { formatCents } from '../core/money.ts';
import { CATEGORY_PROFILES } from './category-profiles.ts';
import { CounterRng, hash32, STREAM, unit } from './counter-rng.ts';
import { type CurrencyPlace, placesFor } from './currency-geography.ts';
import type { GeneratorSettings } from './generator-settings.ts';
import { loadMccCatalog, type MccCatalog } from './mcc-catalog.ts';
import type { Merchant } from './merchant.ts';
import { pad } from './pad.ts';
import type { TransactionWorldData } from './transaction-world.ts';

const SEGMENTS = [
  'mass',
  'mass',
  'mass',
  'mass',
  'mass',
  'affluent',
  'affluent',
  'premium',
  'student',
] as const;
const BRANDS = [
  { brand: 'visa', prefixes: ['4'], length: 16 },
  { brand: 'visa', prefixes: ['4'], length: 16 },
  { brand: 'mastercard', prefixes: ['51', '52', '53', '54', '55'], length: 16 },
  { brand: 'mastercard', prefixes: ['51', '52', '53', '54', '55'], length: 16 },
  { brand: 'jcb', prefixes: ['3528', '3540', '3566', '3589'], length: 16 },
  { brand: 'amex', prefixes: ['34', '37'], length: 15 },
  { brand: 'unionpay', prefixes: ['62'], length: 16 },
] as const;
const EMAIL_DOMAINS = ['naver.com', 'gmail.com', 'kakao.com', 'daum.net', 'hanmail.net', 'example.com'];
/** Signups spread over this many days from `generator.world_start`. */
const SIGNUP_SPAN_DAYS = 365;
const CARD_LIFETIME_DAYS = 5 * 365;
const NEVER = Number.POSITIVE_INFINITY;

/** Entity ids are keyed into hashes by their index; these tags keep the entity kinds apart. */
const ENTITY_KIND = { customer: 1, card: 2, merchant: 3, move: 4, cardEvent: 5, pan: 6 } as const;

export interface Customer {
  id: string;
  name: string;
  email: string;
  birthYear: number;
  segment: string;
  signupDay: number;
  homeCity: string;
  /** Days the customer moves, ascending, and the city moved to. */
  moveDays: number[];
  moveCities: string[];
  firstCard: number;
  cardCount: number;
}

export interface CardSlot {
  /** `K<customer>-<slot>`; each replacement adds `-<n>` generations: `K0000001-1`, `K0000001-1-1`, … */
  baseId: string;
  customer: number;
  brand: string;
  cardType: 'credit' | 'debit';
  issueDay: number;
  replaceDays: number[];
  limitDays: number[];
  limitsWon: number[];
  initialLimitWon: number;
  closeDay: number;
  /** Per generation: the card id and its PAN. */
  ids: string[];
  pans: string[];
}

export class EntityWorld {
  readonly customers: Customer[] = [];
  readonly cards: CardSlot[] = [];
  readonly merchants: Merchant[] = [];
  private readonly merchantPools: TransactionWorldData['merchantPools'] = [];
  private readonly foreignMerchants: number[] = [];
  private readonly customerWeights: Float64Array;
  readonly home: CurrencyPlace;
  readonly foreign: readonly CurrencyPlace[];
  private readonly worldStartDay: number;

  /** Builds the pools; change events are computed up to `horizon` (the last date a run generates). */
  constructor(
    private readonly settings: GeneratorSettings,
    horizon: IsoDate,
    mccCatalog: MccCatalog = loadMccCatalog(),
  ) {
    const places = placesFor(settings.reportingCurrency, settings.currencies);
    this.home = places.home;
    this.foreign = places.foreign;
    this.worldStartDay = dateToEpochDay(settings.worldStart);
    const horizonDay = dateToEpochDay(horizon);
    this.customerWeights = this.buildCustomers(horizonDay);
    this.buildMerchants(mccCatalog);
  }

  /** What transactions are built from, packed for the hot path and for posting to worker threads. */
  transactionData(): TransactionWorldData {
    const customerHot = new Int32Array(this.customers.length * 3);
    for (const [index, customer] of this.customers.entries()) {
      customerHot[index * 3] = customer.signupDay;
      customerHot[index * 3 + 1] = customer.firstCard;
      customerHot[index * 3 + 2] = customer.cardCount;
    }
    const cardHot = new Float64Array(this.cards.length * 3);
    const replacedCards: TransactionWorldData['replacedCards'] = new Map();
    for (const [slot, card] of this.cards.entries()) {
      cardHot[slot * 3] = card.issueDay;
      cardHot[slot * 3 + 1] = card.closeDay;
      cardHot[slot * 3 + 2] = card.replaceDays.length;
      if (card.replaceDays.length > 0) {
        replacedCards.set(slot, { replaceDays: card.replaceDays, ids: card.ids, pans: card.pans });
      }
    }
    return {
      merchants: this.merchants,
      merchantPools: this.merchantPools,
      foreignMerchants: this.foreignMerchants,
      customerWeights: this.customerWeights,
      customerHot,
      cardHot,
      cardCustomer: Int32Array.from(this.cards, (card) => card.customer),
      firstPans: this.cards.map((card) => card.pans[0]!),
      replacedCards,
    };
  }

  private buildCustomers(horizonDay: number): Float64Array {
    const { seed, customers: count, entityChangeRate } = this.settings;
    // The locale instances are module singletons: seeding them right here makes the pool depend on the seed only.
    fakerKo.seed(seed);
    fakerEn.seed(seed + 1);
    const weights = new Float64Array(count);
    for (let c = 0; c < count; c++) {
      const rng = new CounterRng(seed, STREAM.entity, ENTITY_KIND.customer, c);
      const id = `C${pad(c + 1, 7)}`;
      const signupDay = this.worldStartDay + (c === 0 ? 0 : rng.int(SIGNUP_SPAN_DAYS));
      const segment = rng.pick(SEGMENTS);
      const moveDays = changeDays(seed, ENTITY_KIND.move, c, signupDay, horizonDay, entityChangeRate);
      const customer: Customer = {
        id,
        name: fakerKo.person.fullName(),
        email: `${fakerEn.internet.username().toLowerCase()}${c}@${rng.pick(EMAIL_DOMAINS)}`,
        birthYear: segment === 'student' ? rng.between(2000, 2007) : rng.between(1950, 2003),
        segment,
        signupDay,
        homeCity: rng.pick(this.home.cities),
        moveDays,
        moveCities: moveDays.map(
          (_, k) => this.home.cities[hash32(seed, ENTITY_KIND.move, c, k) % this.home.cities.length]!,
        ),
        firstCard: this.cards.length,
        cardCount: 0,
      };
      const cardCount = rng.chance(0.55) ? 1 : rng.chance(0.66) ? 2 : 3;
      for (let s = 0; s < cardCount; s++) this.cards.push(this.buildCard(c, s, signupDay, horizonDay));
      customer.cardCount = cardCount;
      // Heavy-tailed activity: a few customers transact daily, most a few times a month.
      weights[c] =
        Math.exp(1.3 * rng.normal()) * (segment === 'premium' ? 2 : segment === 'student' ? 0.6 : 1);
      this.customers.push(customer);
    }
    return weights;
  }

  private buildCard(customer: number, slot: number, signupDay: number, horizonDay: number): CardSlot {
    const { seed, entityChangeRate } = this.settings;
    const key = customer * 4 + slot;
    const rng = new CounterRng(seed, STREAM.entity, ENTITY_KIND.card, key);
    const brand = rng.pick(BRANDS);
    const cardType = rng.chance(0.6) ? 'credit' : 'debit';
    const issueDay = slot === 0 ? signupDay : signupDay + rng.int(400);
    const initialLimitWon = cardType === 'credit' ? rng.between(2, 40) * 500_000 : 0;
    const card: CardSlot = {
      baseId: `K${pad(customer + 1, 7)}-${slot + 1}`,
      customer,
      brand: brand.brand,
      cardType,
      issueDay,
      replaceDays: [],
      limitDays: [],
      limitsWon: [],
      initialLimitWon,
      closeDay: NEVER,
      ids: [],
      pans: [],
    };
    const events = changeDays(seed, ENTITY_KIND.cardEvent, key, issueDay, horizonDay, entityChangeRate);
    for (const [k, day] of events.entries()) {
      const roll = unit(hash32(seed, ENTITY_KIND.cardEvent, key, 1000 + k));
      if (roll < 0.5 && cardType === 'credit') {
        card.limitDays.push(day);
        card.limitsWon.push((2 + (hash32(seed, ENTITY_KIND.cardEvent, key, 2000 + k) % 39)) * 500_000);
      } else if (roll < 0.85 || slot === 0) {
        card.replaceDays.push(day);
      } else {
        card.closeDay = day;
        break;
      }
    }
    for (let generation = 0; generation <= card.replaceDays.length; generation++) {
      card.ids.push(generation === 0 ? card.baseId : `${card.baseId}-${generation}`);
      card.pans.push(makePan(seed, key, generation, brand.prefixes, brand.length));
    }
    return card;
  }

  private buildMerchants(mccCatalog: MccCatalog): void {
    const { seed, merchants: count } = this.settings;
    fakerEn.seed(seed + 2);
    const categories = Object.entries(CATEGORY_PROFILES).filter(([category]) => mccCatalog.has(category));
    const totalShare = categories.reduce((sum, [, profile]) => sum + profile.share, 0);
    // Every category gets a merchant before any gets a second, so small pools still cover the categories.
    const quota = categories.map(([category, profile]) => ({
      category,
      profile,
      count: Math.max(1, Math.round((count * profile.share) / totalShare)),
    }));
    let index = 0;
    for (const { category, profile, count: quotaCount } of quota) {
      const members: number[] = [];
      const popularity: number[] = [];
      const mccs = mccCatalog.get(category)!;
      for (let k = 0; k < quotaCount && index < Math.max(count, quota.length); k++, index++) {
        const rng = new CounterRng(seed, STREAM.entity, ENTITY_KIND.merchant, index);
        const foreign = this.foreign.length > 0 && rng.chance(profile.foreignShare);
        const place = foreign ? rng.pick(this.foreign) : this.home;
        // Merchant names are Latin script (as card networks carry them), which also keeps transaction lines ASCII.
        const name = fakerEn.company.name();
        const city = rng.pick(place.cities);
        // The first few MCCs of a category are its common ones (e.g. 5411 supermarkets); favour them.
        const mcc = mccs[Math.min(mccs.length - 1, Math.floor(mccs.length * rng.next() ** 3))]!;
        members.push(this.merchants.length);
        popularity.push(Math.exp(1.0 * rng.normal()));
        if (foreign) this.foreignMerchants.push(this.merchants.length);
        this.merchants.push({
          id: `M${pad(index + 1, 6)}`,
          name,
          nameJson: asciiJson(name),
          mcc,
          category,
          profile,
          place,
          city,
          cityJson: asciiJson(city),
          lineParts: [
            `","merchant_id":"M${pad(index + 1, 6)}","txn_ts":"`,
            `","currency":"${place.currency}","mcc":"${mcc}","status":"`,
            `","country":"${place.country}","city":${asciiJson(city)},"merchant_name":${asciiJson(name)},"decline_reason":`,
          ],
        });
      }
      if (members.length) this.merchantPools.push({ category, merchants: members, popularity });
    }
  }

  customerCity(customer: Customer, day: number): string {
    let city = customer.homeCity;
    for (let k = 0; k < customer.moveDays.length && customer.moveDays[k]! <= day; k++)
      city = customer.moveCities[k]!;
    return city;
  }

  /** The card generation in use on `day` (0 = the original card, n = after the n-th replacement). */
  cardGeneration(card: CardSlot, day: number): number {
    let generation = 0;
    while (generation < card.replaceDays.length && card.replaceDays[generation]! <= day) generation++;
    return generation;
  }

  /** The customers snapshot of `date` as JSON Lines records. */
  *customerSnapshot(date: IsoDate): Generator<string> {
    const day = dateToEpochDay(date);
    for (const customer of this.customers) {
      if (customer.signupDay > day) continue;
      yield JSON.stringify({
        customer_id: customer.id,
        name: customer.name,
        email: customer.email,
        birth_year: customer.birthYear,
        city: this.customerCity(customer, day),
        country: this.home.country,
        segment: customer.segment,
        signup_date: dateOfDay(customer.signupDay),
      });
    }
  }

  /** Every card issued by `date`, older generations of a replaced card with status `replaced`. */
  *cardSnapshot(date: IsoDate): Generator<string> {
    const day = dateToEpochDay(date);
    for (const card of this.cards) {
      if (card.issueDay > day) continue;
      const current = this.cardGeneration(card, day);
      let limitWon = card.initialLimitWon;
      for (let k = 0; k < card.limitDays.length && card.limitDays[k]! <= day; k++)
        limitWon = card.limitsWon[k]!;
      for (let generation = 0; generation <= current; generation++) {
        const issueDay = generation === 0 ? card.issueDay : card.replaceDays[generation - 1]!;
        const status = generation < current ? 'replaced' : card.closeDay <= day ? 'closed' : 'active';
        yield JSON.stringify({
          card_id: card.ids[generation],
          customer_id: this.customers[card.customer]!.id,
          brand: card.brand,
          card_type: card.cardType,
          card_number: card.pans[generation],
          issue_date: dateOfDay(issueDay),
          expiry_date: dateOfDay(issueDay + CARD_LIFETIME_DAYS),
          credit_limit: card.cardType === 'credit' ? formatCents(limitWon * 100) : null,
          status,
        });
      }
    }
  }

  *merchantSnapshot(_date: IsoDate): Generator<string> {
    for (const merchant of this.merchants) {
      yield JSON.stringify({
        merchant_id: merchant.id,
        merchant_name: merchant.name,
        mcc: merchant.mcc,
        city: merchant.city,
        country: merchant.place.country,
      });
    }
  }
}

const dates = new Map<number, IsoDate>();
/** `epochDayToDate`, cached: the snapshots format the same few hundred days tens of thousands of times. */
function dateOfDay(day: number): IsoDate {
  let date = dates.get(day);
  if (date === undefined) {
    date = epochDayToDate(day);
    dates.set(day, date);
  }
  return date;
}

/** Days (after `fromDay`, up to `horizonDay`) an entity changes: geometric gaps with the daily `rate`. */
function changeDays(
  seed: number,
  kind: number,
  key: number,
  fromDay: number,
  horizonDay: number,
  rate: number,
): number[] {
  const days: number[] = [];
  if (rate <= 0) return days;
  let day = fromDay;
  for (let k = 0; k < 1000; k++) {
    const u = (hash32(seed, kind, key, k) + 1) / 4_294_967_297;
    day += Math.max(1, Math.ceil(Math.log(u) / Math.log(1 - Math.min(rate, 0.999_999))));
    if (day > horizonDay) break;
    days.push(day);
  }
  return days;
}

/** A test PAN: a network prefix, digits from the hash, and a Luhn check digit. */
function makePan(
  seed: number,
  key: number,
  generation: number,
  prefixes: readonly string[],
  length: number,
): string {
  const rng = new CounterRng(seed, STREAM.entity, ENTITY_KIND.pan * 1_000_003 + generation, key);
  let payload = rng.pick(prefixes);
  while (payload.length < length - 1) payload += String(rng.int(10));
  return payload + String(luhnCheckDigit(payload));
}

/** JSON string literal with every non-ASCII character escaped, so transaction lines are pure ASCII. */
function asciiJson(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
