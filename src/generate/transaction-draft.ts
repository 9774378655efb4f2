/**
 * A transaction as the generator decides it (transaction-factory.ts) before its line is written
 * (transaction-line-writer.ts), and the values its few-valued fields take.
 */
import type { DECLINE_REASONS } from './category-profiles.ts';

export const STATUSES = ['approved', 'declined', 'reversed'] as const;
export type Status = (typeof STATUSES)[number];
export const CHANNELS = ['online', 'pos', 'mobile'] as const;
export type Channel = (typeof CHANNELS)[number];
export const POS_ENTRY_MODES = ['chip', 'contactless', 'swipe'] as const;
export const MOBILE_ENTRY_MODES = ['mobile_wallet', 'in_app'] as const;
export const ENTRY_MODES = ['ecommerce', ...POS_ENTRY_MODES, ...MOBILE_ENTRY_MODES] as const;
export type EntryMode = (typeof ENTRY_MODES)[number];
export type DeclineReason = (typeof DECLINE_REASONS)[number];

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

export function eventDayOf(draft: TransactionDraft): number {
  return Math.floor(draft.wallSeconds / 86_400);
}
