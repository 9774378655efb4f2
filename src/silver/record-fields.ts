/** The bronze transaction fields silver reads (DESIGN.md §3), in the column order of `text_records`. */
export const RECORD_FIELDS = [
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
  'card_number',
  'entry_mode',
  'country',
  'city',
  'merchant_name',
  'decline_reason',
  'is_fraud',
  'original_transaction_id',
] as const;

/** json_transform schema: every field as its JSON text, so typing and its reason codes stay in one place. */
export function jsonRecordSchema(): string {
  return JSON.stringify(Object.fromEntries(RECORD_FIELDS.map((field) => [field, 'VARCHAR'])));
}

/** CSV: each field's select expression from the header's positions (1-based); absent columns are NULL. */
export function csvFieldColumns(header: string[]): string {
  const position = new Map(header.map((name, index) => [name.trim().toLowerCase(), index + 1]));
  return RECORD_FIELDS.map((field) => {
    const index = position.get(field);
    return index === undefined
      ? `CAST(NULL AS VARCHAR) AS ${field}`
      : `CASE WHEN NOT malformed THEN csv_unquote(fields[${index}]) END AS ${field}`;
  }).join(', ');
}
