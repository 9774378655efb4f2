/**
 * Why a bronze record was quarantined. The generator labels each injected bad record with exactly one of these
 * (its manifest counts them), and silver reports every code that applies to a record, so the two reconcile.
 */
export const REASON_CODES = [
  'malformed_record', // not valid JSON / a CSV row with the wrong number of fields
  'duplicate_field', // a JSON object or CSV header names a field twice: which value counts is ambiguous
  'unsupported_character', // a text field holds a NUL character (U+0000), which no SQL warehouse stores
  'missing_required', // a required field is absent or empty
  'invalid_amount', // amount is not a decimal with at most 2 decimals
  'non_positive_amount', // amount <= 0
  'amount_out_of_range', // amount or amount × FX rate does not fit DECIMAL(18,2) (16 digits before the point)
  'unknown_currency', // currency not in the configured set
  'invalid_mcc', // mcc is not 4 digits
  'invalid_timestamp', // txn_ts does not parse
  'future_timestamp', // txn_ts is later than the ingest date plus the tolerance
  'early_timestamp', // txn_ts falls before silver.earliest_event_date
  'invalid_status', // status not approved/declined/reversed
  'invalid_channel', // channel not online/pos/mobile
  'invalid_boolean', // is_refund / is_fraud not a boolean spelling
  'invalid_pan', // card_number not 12-19 digits or fails Luhn
  'no_fx_rate', // no FX rate for the currency on the event date
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];
