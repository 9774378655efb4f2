/**
 * Writes a transaction draft as its bronze JSON line. This is the per-record hot path: the line is written as
 * bytes straight into the chunk's buffer (no string per field) from ready-made byte pieces (the merchant's, the
 * day's, and one per combination of the few-valued fields) and numbers written as digits. The rare bad records
 * are built as text, with exactly one injected defect.
 */
import { REQUIRED_TRANSACTION_FIELDS } from '../core/record-contract.ts';
import { DECLINE_REASONS } from './category-profiles.ts';
import { hash32, STREAM } from './counter-rng.ts';
import type { GeneratorSettings } from './generator-settings.ts';
import { asciiBytes, LineBytes } from './line-bytes.ts';
import {
  CHANNELS,
  type Channel,
  type DeclineReason,
  ENTRY_MODES,
  type EntryMode,
  STATUSES,
  type Status,
  type TransactionDraft,
} from './transaction-draft.ts';
import type { InjectedDefect } from './transaction-fate.ts';
import type { TransactionWorld } from './transaction-world.ts';
import type { ZoneClock } from './zone-clock.ts';

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

export class TransactionLineWriter {
  /** Where `format` builds a line it returns as text. */
  private readonly scratch = new LineBytes(Buffer.allocUnsafe(4096));
  /** `lineHead` of the day last written. */
  private lastHeadDay = Number.NaN;
  private lastHead: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly settings: GeneratorSettings,
    private readonly world: TransactionWorld,
    private readonly clock: ZoneClock,
  ) {}

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
