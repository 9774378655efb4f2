/** The fields every bronze transaction record must carry (DESIGN.md §3); ingest refuses a file whose header lacks one. */
export const REQUIRED_FIELDS = [
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
