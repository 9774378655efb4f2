/**
 * The bronze transaction record contract (DESIGN.md §3) as data: written once, read by ingest (header check),
 * silver (what it parses) and the generator (what a missing_required record may lack).
 */
export const REQUIRED_TRANSACTION_FIELDS = [
  'transaction_id',
  'customer_id',
  'card_id',
  'merchant_id',
  'txn_ts',
  'amount',
  'currency',
  'mcc',
  'status',
  'is_refund',
  'channel',
] as const;

/** Optional enrichments silver keeps; other extra fields stay in bronze and are ignored later. */
export const OPTIONAL_TRANSACTION_FIELDS = [
  'card_number',
  'entry_mode',
  'country',
  'city',
  'merchant_name',
  'decline_reason',
  'is_fraud',
  'original_transaction_id',
] as const;

/**
 * The contract's fields a list of column names (a CSV header) holds more than once, compared trimmed and in
 * lower case as readers match them: which column carries the value is ambiguous, so ingest refuses such a
 * file and silver quarantines its records.
 */
export function repeatedContractFields(names: readonly string[]): string[] {
  const normalised = names.map((name) => name.trim().toLowerCase());
  return [...REQUIRED_TRANSACTION_FIELDS, ...OPTIONAL_TRANSACTION_FIELDS].filter(
    (field) => normalised.indexOf(field) !== normalised.lastIndexOf(field),
  );
}
