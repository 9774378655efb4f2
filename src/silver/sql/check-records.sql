-- Enforces the bronze record contract (DESIGN.md §3) on every text record: normalises, types, tokenizes and
-- enriches, and lists EVERY reason code that applies (src/core/reason-codes.ts). A record with no reason code
-- is valid; the others go to quarantine with their raw text (PAN masked). Runs once per bronze file.
-- Step 1: parse (the text_records view), normalise and type every record, row by row: the only table that
-- holds every record of the file. The distinct-PAN and distinct-date steps read two of its columns; the
-- parse and the regexps are not repeated for them.
CREATE OR REPLACE TEMP TABLE parsed AS
WITH normalised AS (
  -- The raw text stays behind in the lines (only quarantined rows need it): carrying it through every step
  -- would double the memory of a large day.
  SELECT
    r.file_no, r.line_no, r.malformed,
    field_text(r.transaction_id) AS transaction_id,
    field_text(r.customer_id) AS customer_id,
    field_text(r.card_id) AS card_id,
    field_text(r.merchant_id) AS merchant_id,
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
    field_text(r.original_transaction_id) AS original_transaction_id
  FROM text_records r
),
typed AS (
  SELECT
    *,
    coalesce(regexp_full_match(amount_text, '[+-]?[0-9]{1,16}(\.[0-9]{1,2})?'), FALSE) AS amount_well_formed,
    CASE WHEN regexp_full_match(amount_text, '[+-]?[0-9]{1,16}(\.[0-9]{1,2})?')
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

-- Step 2: Luhn and HMAC once per distinct card number, not per row: a card is used many times a day, and
-- these are the two most expensive expressions of the contract.
CREATE OR REPLACE TEMP TABLE pan_tokens AS
SELECT pan, valid AS pan_valid,
  CASE WHEN valid THEN sha256({{hmac_outer}} || unhex(sha256({{hmac_inner}} || encode(pan)))) END AS card_token
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
    coalesce(m.merchant_category, 'other') AS merchant_category
  FROM parsed p
  LEFT JOIN pan_tokens t ON t.pan = p.pan
  LEFT JOIN fx_by_day fx ON fx.event_date = p.event_date AND fx.currency = p.currency
  LEFT JOIN mcc_categories m ON m.mcc = p.mcc
)
SELECT
  *,
  list_filter([
    CASE WHEN malformed THEN 'malformed_record' END,
    CASE WHEN NOT malformed AND (transaction_id IS NULL OR customer_id IS NULL OR card_id IS NULL
      OR merchant_id IS NULL OR txn_ts_text IS NULL OR amount_text IS NULL OR currency IS NULL OR mcc IS NULL
      OR status IS NULL OR is_refund_text IS NULL OR channel IS NULL) THEN 'missing_required' END,
    CASE WHEN amount_text IS NOT NULL AND NOT amount_well_formed THEN 'invalid_amount' END,
    CASE WHEN amount <= 0 THEN 'non_positive_amount' END,
    CASE WHEN currency IS NOT NULL AND NOT currency_accepted THEN 'unknown_currency' END,
    CASE WHEN mcc IS NOT NULL AND NOT regexp_full_match(mcc, '[0-9]{4}') THEN 'invalid_mcc' END,
    CASE WHEN txn_ts_text IS NOT NULL AND ts IS NULL THEN 'invalid_timestamp' END,
    CASE WHEN ts > CAST(CAST({{ingest_date}} AS DATE) + 1 AS TIMESTAMPTZ) + to_seconds({{future_tolerance_seconds}})
         THEN 'future_timestamp' END,
    CASE WHEN status NOT IN ('approved', 'declined', 'reversed') THEN 'invalid_status' END,
    CASE WHEN channel NOT IN ('online', 'pos', 'mobile') THEN 'invalid_channel' END,
    CASE WHEN (is_refund_text IS NOT NULL AND is_refund IS NULL) OR (is_fraud_text IS NOT NULL AND is_fraud IS NULL)
         THEN 'invalid_boolean' END,
    CASE WHEN pan IS NOT NULL AND NOT pan_valid THEN 'invalid_pan' END,
    CASE WHEN currency_accepted AND event_date IS NOT NULL AND fx_rate IS NULL THEN 'no_fx_rate' END
  ], code -> code IS NOT NULL) AS reason_codes
FROM enriched;
