-- Enforces the bronze record contract (DESIGN.md §3) on every text record: normalises, types, tokenizes and
-- enriches, and lists EVERY reason code that applies (src/core/reason-codes.ts). A record with no reason code
-- is valid; the others go to quarantine with their raw text (PAN masked). Runs once per bronze file.
-- Every value a valid record carries fits the warehouse exactly (src/silver/README.md, "Bounds"): amount and
-- amount_reporting within DECIMAL(18,2), txn_ts from silver.earliest_event_date on, no NUL character.
-- Step 1: parse (the text_records view), normalise and type every record, row by row: the only table that
-- holds every record of the file. The distinct-PAN and distinct-date steps read two of its columns; the
-- parse and the regexps are not repeated for them.
CREATE OR REPLACE TEMP TABLE parsed AS
WITH normalised AS (
  -- The raw text stays behind in the lines (only quarantined rows need it): carrying it through every step
  -- would double the memory of a large day.
  SELECT
    r.file_no, r.line_no, r.malformed, r.key_list_hash, r.duplicate_header, r.may_hold_nul,
    pan_free_id(field_text(r.transaction_id)) AS transaction_id,
    pan_free_id(field_text(r.customer_id)) AS customer_id,
    pan_free_id(field_text(r.card_id)) AS card_id,
    pan_free_id(field_text(r.merchant_id)) AS merchant_id,
    field_text(r.txn_ts) AS txn_ts_text,
    field_text(r.amount) AS amount_text,
    upper(field_text(r.currency)) AS currency,
    field_text(r.mcc) AS mcc,
    lower(field_text(r.status)) AS status,
    lower(field_text(r.is_refund)) AS is_refund_text,
    lower(field_text(r.channel)) AS channel,
    field_text(r.card_number) AS pan,
    field_text(r.entry_mode) AS entry_mode,
    field_text(r.country) AS country,
    field_text(r.city) AS city,
    field_text(r.merchant_name) AS merchant_name,
    field_text(r.decline_reason) AS decline_reason,
    lower(field_text(r.is_fraud)) AS is_fraud_text,
    pan_free_id(field_text(r.original_transaction_id)) AS original_transaction_id
  FROM text_records r
),
typed AS (
  SELECT
    *,
    coalesce(regexp_full_match(amount_text, '[+-]?[0-9]+(\.[0-9]{1,2})?'), FALSE) AS amount_well_formed,
    -- DECIMAL(18,2) holds 16 digits before the point (leading zeros aside); a longer amount is well formed but
    -- out of range, and stays NULL here.
    CASE WHEN regexp_full_match(amount_text, '[+-]?0*[0-9]{1,16}(\.[0-9]{1,2})?')
         THEN CAST(amount_text AS DECIMAL(18, 2)) END AS amount,
    -- Offsets are honoured; a timestamp without one is read in the session time zone (the business zone).
    CASE WHEN regexp_full_match(
           txn_ts_text, '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)? ?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?')
         THEN try_cast(txn_ts_text AS TIMESTAMPTZ) END AS ts,
    CASE WHEN is_refund_text IN ('true', 't', '1', 'yes', 'y') THEN TRUE
         WHEN is_refund_text IN ('false', 'f', '0', 'no', 'n') THEN FALSE END AS is_refund,
    CASE WHEN is_fraud_text IN ('true', 't', '1', 'yes', 'y') THEN TRUE
         WHEN is_fraud_text IN ('false', 'f', '0', 'no', 'n') THEN FALSE END AS is_fraud,
    list_contains({{currencies}}, currency) AS currency_accepted
  FROM normalised
)
SELECT *, CAST(ts AS DATE) AS event_date FROM typed;

-- Step 1b: JSON objects that name a field twice are ambiguous (JSON.parse keeps the last value, DuckDB the
-- first): quarantined as duplicate_field, never resolved. Listing and comparing the keys of every line costs
-- about three times what hashing them does: parse-jsonl.sql hashes each line's key list, and the keys are
-- compared for one line per distinct list here (a handful per file).
-- The sample is a table of its own, so the join knows it is small and hashes it, not the lines; the comparison
-- is applied to its lines alone (not pushed down to every line, blank and broken ones included).
CREATE OR REPLACE TEMP TABLE key_list_samples AS
SELECT key_list_hash, min(line_no) AS line_no FROM parsed WHERE key_list_hash IS NOT NULL GROUP BY key_list_hash;

CREATE OR REPLACE TEMP TABLE duplicate_key_lists AS
WITH sample_lines AS MATERIALIZED (
  SELECT s.key_list_hash, l.raw FROM key_list_samples s JOIN ({{lines}}) l USING (line_no)
)
SELECT key_list_hash FROM sample_lines
WHERE len(json_keys(raw)) <> len(list_distinct(json_keys(raw)));

DROP TABLE key_list_samples;

-- Step 2: Luhn and HMAC once per distinct card number, not per row: a card is used many times a day, and
-- these are the two most expensive expressions of the contract.
CREATE OR REPLACE TEMP TABLE pan_tokens AS
SELECT pan, valid AS pan_valid,
  CASE WHEN valid THEN hmac_hex(pan) END AS card_token
FROM (
  SELECT pan, coalesce(regexp_full_match(pan, '[0-9]{12,19}') AND luhn_valid(pan), FALSE) AS valid
  FROM (SELECT DISTINCT pan FROM parsed WHERE pan IS NOT NULL)
);

-- Step 3: the FX rate as of each event date of the batch (latest rate on or before it), once per date and
-- currency, crossed through KRW into the reporting currency. A day without a rate has no row here.
CREATE OR REPLACE TEMP TABLE fx_by_day AS
WITH days AS (
  SELECT DISTINCT event_date FROM parsed WHERE event_date IS NOT NULL
),
krw_rates AS (
  SELECT d.event_date, c.currency, r.krw_per_unit
  FROM days d
  CROSS JOIN (SELECT DISTINCT currency FROM fx_rates) c
  ASOF JOIN fx_rates r ON r.currency = c.currency AND d.event_date >= r.rate_date
)
SELECT rate.event_date, rate.currency,
  CAST(rate.krw_per_unit / reporting.krw_per_unit AS DECIMAL(18, 8)) AS fx_rate
FROM krw_rates rate
JOIN krw_rates reporting ON reporting.event_date = rate.event_date AND reporting.currency = {{reporting_currency}};

-- Step 4: enrich and list every reason code that applies. A view: quarantine-rejected.sql and keep-valid.sql
-- read it once each, so the wide enriched record is never stored a second time.
CREATE OR REPLACE TEMP VIEW checked AS
WITH enriched AS (
  SELECT
    p.*,
    coalesce(t.pan_valid, FALSE) AS pan_valid,
    t.card_token,
    CASE WHEN p.currency = {{reporting_currency}} THEN CAST(1 AS DECIMAL(18, 8)) ELSE fx.fx_rate END AS fx_rate,
    coalesce(m.merchant_category, 'other') AS merchant_category,
    d.key_list_hash IS NOT NULL OR p.duplicate_header AS duplicate_field,
    -- Only lines that may hold one are searched (parse-*.sql), and only the text a valid record carries.
    CASE WHEN p.may_hold_nul THEN contains(concat_ws('', p.transaction_id, p.customer_id, p.card_id,
      p.merchant_id, p.entry_mode, p.country, p.city, p.merchant_name, p.decline_reason,
      p.original_transaction_id), chr(0)) END AS has_nul
  FROM parsed p
  LEFT JOIN pan_tokens t ON t.pan = p.pan
  LEFT JOIN fx_by_day fx ON fx.event_date = p.event_date AND fx.currency = p.currency
  LEFT JOIN mcc_categories m ON m.mcc = p.mcc
  LEFT JOIN duplicate_key_lists d ON d.key_list_hash = p.key_list_hash
),
-- Each condition once, as a flag (NULL counts as not applying): `valid` lets keep-valid.sql pass the day's
-- good rows on a cheap test, and only the few rejected rows build their list of codes.
flagged AS (
  SELECT
    *,
    malformed AS is_malformed_record,
    coalesce(duplicate_field, FALSE) AS is_duplicate_field,
    coalesce(has_nul, FALSE) AS is_unsupported_character,
    coalesce(NOT malformed AND (transaction_id IS NULL OR customer_id IS NULL OR card_id IS NULL
      OR merchant_id IS NULL OR txn_ts_text IS NULL OR amount_text IS NULL OR currency IS NULL OR mcc IS NULL
      OR status IS NULL OR is_refund_text IS NULL OR channel IS NULL), FALSE) AS is_missing_required,
    coalesce(amount_text IS NOT NULL AND NOT amount_well_formed, FALSE) AS is_invalid_amount,
    coalesce(amount <= 0, FALSE) AS is_non_positive_amount,
    -- amount_reporting (keep-valid.sql) rounds beyond DECIMAL(18,2) exactly when |amount × rate| ≥
    -- 9999999999999999.995; the product is taken wide, as there (DECIMAL(18,2) × DECIMAL(18,8) overflows).
    coalesce(amount_well_formed
      AND (amount IS NULL OR abs(CAST(amount AS DECIMAL(38, 2)) * fx_rate) >= 9999999999999999.995), FALSE)
      AS is_amount_out_of_range,
    coalesce(currency IS NOT NULL AND NOT currency_accepted, FALSE) AS is_unknown_currency,
    coalesce(mcc IS NOT NULL AND NOT regexp_full_match(mcc, '[0-9]{4}'), FALSE) AS is_invalid_mcc,
    coalesce(txn_ts_text IS NOT NULL AND ts IS NULL, FALSE) AS is_invalid_timestamp,
    coalesce(ts > CAST(CAST({{ingest_date}} AS DATE) + 1 AS TIMESTAMPTZ) + to_seconds({{future_tolerance_seconds}}),
      FALSE) AS is_future_timestamp,
    coalesce(event_date < CAST({{earliest_event_date}} AS DATE), FALSE) AS is_early_timestamp,
    coalesce(status NOT IN ('approved', 'declined', 'reversed'), FALSE) AS is_invalid_status,
    coalesce(channel NOT IN ('online', 'pos', 'mobile'), FALSE) AS is_invalid_channel,
    coalesce((is_refund_text IS NOT NULL AND is_refund IS NULL) OR (is_fraud_text IS NOT NULL AND is_fraud IS NULL),
      FALSE) AS is_invalid_boolean,
    coalesce(pan IS NOT NULL AND NOT pan_valid, FALSE) AS is_invalid_pan,
    coalesce(currency_accepted AND event_date IS NOT NULL AND fx_rate IS NULL, FALSE) AS is_no_fx_rate
  FROM enriched
),
judged AS (
  SELECT *,
    NOT (is_malformed_record OR is_duplicate_field OR is_unsupported_character OR is_missing_required
      OR is_invalid_amount OR is_non_positive_amount OR is_amount_out_of_range OR is_unknown_currency
      OR is_invalid_mcc OR is_invalid_timestamp OR is_future_timestamp OR is_early_timestamp OR is_invalid_status
      OR is_invalid_channel OR is_invalid_boolean OR is_invalid_pan OR is_no_fx_rate) AS valid
  FROM flagged
)
SELECT
  * EXCLUDE (is_malformed_record, is_duplicate_field, is_unsupported_character, is_missing_required,
    is_invalid_amount, is_non_positive_amount, is_amount_out_of_range, is_unknown_currency, is_invalid_mcc,
    is_invalid_timestamp, is_future_timestamp, is_early_timestamp, is_invalid_status, is_invalid_channel,
    is_invalid_boolean, is_invalid_pan, is_no_fx_rate),
  CASE WHEN NOT valid THEN list_filter([
    CASE WHEN is_malformed_record THEN 'malformed_record' END,
    CASE WHEN is_duplicate_field THEN 'duplicate_field' END,
    CASE WHEN is_unsupported_character THEN 'unsupported_character' END,
    CASE WHEN is_missing_required THEN 'missing_required' END,
    CASE WHEN is_invalid_amount THEN 'invalid_amount' END,
    CASE WHEN is_non_positive_amount THEN 'non_positive_amount' END,
    CASE WHEN is_amount_out_of_range THEN 'amount_out_of_range' END,
    CASE WHEN is_unknown_currency THEN 'unknown_currency' END,
    CASE WHEN is_invalid_mcc THEN 'invalid_mcc' END,
    CASE WHEN is_invalid_timestamp THEN 'invalid_timestamp' END,
    CASE WHEN is_future_timestamp THEN 'future_timestamp' END,
    CASE WHEN is_early_timestamp THEN 'early_timestamp' END,
    CASE WHEN is_invalid_status THEN 'invalid_status' END,
    CASE WHEN is_invalid_channel THEN 'invalid_channel' END,
    CASE WHEN is_invalid_boolean THEN 'invalid_boolean' END,
    CASE WHEN is_invalid_pan THEN 'invalid_pan' END,
    CASE WHEN is_no_fx_rate THEN 'no_fx_rate' END
  ], code -> code IS NOT NULL) END AS reason_codes
FROM judged;
