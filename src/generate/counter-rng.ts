/**
 * A counter-based random source: every random decision of the generator is keyed by (seed, stream, date, index),
 * so any record can be regenerated on its own in O(1). That is what makes one date generated alone byte-identical
 * to the same date generated inside a range, and lets a later day re-send an earlier day's record exactly.
 */

/** murmur3's 32-bit finaliser: cheap and mixes every input bit into every output bit. */
function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes up to four integers to an unsigned 32-bit value. */
export function hash32(a: number, b = 0, c = 0, d = 0): number {
  let h = fmix32(a ^ 0x9e3779b9);
  h = fmix32(h ^ Math.imul(b | 0, 0x27d4eb2f) ^ 0x165667b1);
  h = fmix32(h ^ Math.imul(c | 0, 0x85ebca77) ^ 0xd3a2646c);
  h = fmix32(h ^ Math.imul(d | 0, 0xc2b2ae3d) ^ 0xfd7046c5);
  return h;
}

/** A uniform number in [0, 1) from a 32-bit hash. */
export function unit(hash: number): number {
  return hash / 4_294_967_296;
}

/**
 * Streams of the generator: each kind of decision draws from its own stream, so adding a draw to one kind
 * never shifts the numbers another kind sees.
 */
export const STREAM = {
  transaction: 1,
  fate: 2,
  fraudBurst: 3,
  entity: 4,
  update: 5,
  defect: 6,
} as const;

/** A small fast PRNG (sfc32) seeded from a counter hash; one instance per record. */
export class CounterRng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream: number, key1: number, key2 = 0) {
    this.a = this.b = this.c = this.d = 0;
    this.reset(seed, stream, key1, key2);
  }

  /** Re-keys this instance in place, so the hot path does not allocate a generator per record. */
  reset(seed: number, stream: number, key1: number, key2 = 0): this {
    this.a = hash32(seed, stream, key1, key2);
    this.b = fmix32(this.a ^ 0x6a09e667);
    this.c = fmix32(this.b ^ 0xbb67ae85);
    this.d = 1;
    for (let i = 0; i < 4; i++) this.next32();
    return this;
  }

  next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.next32() / 4_294_967_296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [min, max], both included. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Standard normal by Box–Muller (one value per call; the twin is dropped to keep the stream simple). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

/** Picks an index by weight in O(1) (Walker's alias method); built once per table of weights. */
export class AliasTable {
  /** Interleaved (threshold, alias) pairs: one cache line per draw. */
  private readonly entries: Float64Array;
  private readonly size: number;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    this.size = n;
    this.entries = new Float64Array(2 * n);
    let total = 0;
    for (let i = 0; i < n; i++) total += weights[i]!;
    const scaled = new Float64Array(n);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) {
      scaled[i] = (weights[i]! * n) / total;
      (scaled[i]! < 1 ? small : large).push(i);
    }
    while (small.length && large.length) {
      const less = small.pop()!;
      const more = large.pop()!;
      this.entries[2 * less] = scaled[less]!;
      this.entries[2 * less + 1] = more;
      scaled[more] = scaled[more]! + scaled[less]! - 1;
      (scaled[more]! < 1 ? small : large).push(more);
    }
    for (const i of [...small, ...large]) this.entries[2 * i] = 1;
  }

  sample(rng: CounterRng): number {
    const column = rng.int(this.size);
    return rng.next() < this.entries[2 * column]! ? column : this.entries[2 * column + 1]!;
  }
}
