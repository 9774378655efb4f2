/**
 * What happens to a base transaction besides being sent once: whether it is a bad record (and its one defect),
 * how late it arrives, and whether it is re-sent as an exact duplicate and/or as an updated version, on which
 * later day (0 = same file) and in which order. It is a pure function of (seed, ingest day, index), so the
 * day a re-send is due can find it again without any state, and the manifest's ground truth is exact.
 */
import type { ReasonCode } from '../core/reason-codes.ts';
import { CounterRng, hash32, STREAM, unit } from './counter-rng.ts';
import { type GeneratorSettings, RESEND_WINDOW_DAYS } from './generator-settings.ts';

/** The defects the generator injects; never future_timestamp or no_fx_rate (those depend on silver's config). */
export const INJECTED_DEFECTS = [
  'malformed_record',
  'missing_required',
  'invalid_amount',
  'invalid_boolean',
  'non_positive_amount',
  'unknown_currency',
  'invalid_mcc',
  'invalid_timestamp',
  'invalid_pan',
] as const satisfies readonly ReasonCode[];
export type InjectedDefect = (typeof INJECTED_DEFECTS)[number];

/** Share of clean base transactions that are refunds of an earlier purchase. */
export const REFUND_RATE = 0.025;

export interface TransactionFate {
  /** Set for a bad record; bad records are never re-sent. */
  defect: InjectedDefect | undefined;
  isRefund: boolean;
  /** Days between the event date and the ingest date (refunds are never late). */
  lateDays: number;
  /** Days after the base ingest day the exact duplicate is sent, or -1. */
  duplicateAfter: number;
  /** Days after the base ingest day the updated version is sent, or -1. */
  updateAfter: number;
  /** When duplicate and update fall on the same day: true = the duplicate comes first (it copies the original). */
  duplicateFirst: boolean;
}

const scratchRng = new CounterRng(0, 0, 0);

export function transactionFate(settings: GeneratorSettings, day: number, index: number): TransactionFate {
  const rng = scratchRng.reset(settings.seed, STREAM.fate, day, index);
  const defect = isBad(settings, day, index) ? INJECTED_DEFECTS[rng.int(INJECTED_DEFECTS.length)] : undefined;
  const isRefund = rng.chance(REFUND_RATE);
  const lateRoll = rng.next();
  let lateDays = 0;
  if (!isRefund) {
    if (lateRoll < settings.farLateRate) {
      const from = Math.min(settings.maxLateDays + 1, settings.farLateMaxDays);
      lateDays = from + rng.int(settings.farLateMaxDays - from + 1);
    } else if (lateRoll < settings.farLateRate + settings.lateRate) {
      lateDays = 1 + rng.int(settings.maxLateDays);
    }
  }
  const resend = hash32(settings.seed, STREAM.fate * 16 + ROLL.resend, day, index);
  const duplicated = !defect && duplicateRoll(resend) < settings.dupRate;
  const updated = !defect && updateRoll(resend) < settings.updateRate;
  return {
    defect,
    isRefund,
    lateDays,
    duplicateAfter: duplicated ? rng.int(RESEND_WINDOW_DAYS + 1) : -1,
    updateAfter: updated ? rng.int(RESEND_WINDOW_DAYS + 1) : -1,
    duplicateFirst: rng.chance(0.5),
  };
}

/**
 * The cheap pre-check the re-send scan runs over the last days' base transactions: one hash, no PRNG.
 * Only when it says yes is the full fate computed.
 */
export function mayBeResent(settings: GeneratorSettings, day: number, index: number): boolean {
  const resend = hash32(settings.seed, STREAM.fate * 16 + ROLL.resend, day, index);
  return (
    (duplicateRoll(resend) < settings.dupRate || updateRoll(resend) < settings.updateRate) &&
    !isBad(settings, day, index)
  );
}

const ROLL = { bad: 1, resend: 2 } as const;

// One hash gives both re-send rolls (16 bits each: rates resolve to 1/65536), so the scan over the last
// days' records costs one hash per record.
function duplicateRoll(hash: number): number {
  return (hash & 0xffff) / 65_536;
}

function updateRoll(hash: number): number {
  return (hash >>> 16) / 65_536;
}

function roll(settings: GeneratorSettings, kind: number, day: number, index: number): number {
  return unit(hash32(settings.seed, STREAM.fate * 16 + kind, day, index));
}

function isBad(settings: GeneratorSettings, day: number, index: number): boolean {
  return roll(settings, ROLL.bad, day, index) < settings.badRate;
}
