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
-- first): quarantined as duplicate_field, never resolved. Listing and comparing the keys of every line cost
-- 2.6 CPU-s per 1M lines; parse-jsonl.sql hashes each line's key list instead (0.5), and the keys are
-- compared for one line per distinct list here (a handful per file).
-- Materialized: the key comparison must not be pushed down to every line (blank and broken ones included).
CREATE OR REPLACE TEMP TABLE duplicate_key_lists AS
WITH sample_lines AS MATERIALIZED (
  SELECT sample.key_list_hash, l.raw
  FROM (
    SELECT key_list_hash, min(line_no) AS line_no FROM parsed WHERE key_list_hash IS NOT NULL
    GROUP BY key_list_hash
  ) sample
  JOIN ({{lines}}) l USING (line_no)
)
SELECT key_list_hash FROM sample_lines
WHERE len(json_keys(raw)) <> len(list_distinct(json_keys(raw)));

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
    d.key_list_hash IS NOT NULL OR p.duplicate_header AS duplicate_field
  FROM parsed p
  LEFT JOIN pan_tokens t ON t.pan = p.pan
  LEFT JOIN fx_by_day fx ON fx.event_date = p.event_date AND fx.currency = p.currency
  LEFT JOIN mcc_categories m ON m.mcc = p.mcc
  LEFT JOIN duplicate_key_lists d ON d.key_list_hash = p.key_list_hash
),
converted AS (
  SELECT *,
    -- Exact, and wide enough for any amount × rate: keep-valid.sql stores it as DECIMAL(18,2) when it fits.
    -- DECIMAL(18,2) × DECIMAL(18,8) would overflow DuckDB's DECIMAL(18,10) product type, hence the widening.
    round(CAST(amount AS DECIMAL(38, 2)) * fx_rate, 2) AS amount_reporting_exact,
    -- Only lines that may hold one are searched (parse-*.sql), and only the text a valid record carries.
    CASE WHEN may_hold_nul THEN contains(concat_ws('', transaction_id, customer_id, card_id, merchant_id,
      entry_mode, country, city, merchant_name, decline_reason, original_transaction_id), chr(0)) END AS has_nul
  FROM enriched
)
SELECT
  *,
  list_filter([
    CASE WHEN malformed THEN 'malformed_record' END,
    CASE WHEN duplicate_field THEN 'duplicate_field' END,
    CASE WHEN has_nul THEN 'unsupported_character' END,
    CASE WHEN NOT malformed AND (transaction_id IS NULL OR customer_id IS NULL OR card_id IS NULL
      OR merchant_id IS NULL OR txn_ts_text IS NULL OR amount_text IS NULL OR currency IS NULL OR mcc IS NULL
      OR status IS NULL OR is_refund_text IS NULL OR channel IS NULL) THEN 'missing_required' END,
    CASE WHEN amount_text IS NOT NULL AND NOT amount_well_formed THEN 'invalid_amount' END,
    CASE WHEN amount <= 0 THEN 'non_positive_amount' END,
    CASE WHEN amount_well_formed AND (amount IS NULL OR abs(amount_reporting_exact) > 9999999999999999.99)
         THEN 'amount_out_of_range' END,
    CASE WHEN currency IS NOT NULL AND NOT currency_accepted THEN 'unknown_currency' END,
    CASE WHEN mcc IS NOT NULL AND NOT regexp_full_match(mcc, '[0-9]{4}') THEN 'invalid_mcc' END,
    CASE WHEN txn_ts_text IS NOT NULL AND ts IS NULL THEN 'invalid_timestamp' END,
    CASE WHEN ts > CAST(CAST({{ingest_date}} AS DATE) + 1 AS TIMESTAMPTZ) + to_seconds({{future_tolerance_seconds}})
         THEN 'future_timestamp' END,
    CASE WHEN event_date < CAST({{earliest_event_date}} AS DATE) THEN 'early_timestamp' END,
    CASE WHEN status NOT IN ('approved', 'declined', 'reversed') THEN 'invalid_status' END,
    CASE WHEN channel NOT IN ('online', 'pos', 'mobile') THEN 'invalid_channel' END,
    CASE WHEN (is_refund_text IS NOT NULL AND is_refund IS NULL) OR (is_fraud_text IS NOT NULL AND is_fraud IS NULL)
         THEN 'invalid_boolean' END,
    CASE WHEN pan IS NOT NULL AND NOT pan_valid THEN 'invalid_pan' END,
    CASE WHEN currency_accepted AND event_date IS NOT NULL AND fx_rate IS NULL THEN 'no_fx_rate' END
  ], code -> code IS NOT NULL) AS reason_codes
FROM converted;
