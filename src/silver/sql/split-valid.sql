-- One bronze file's checked records (check-records.sql) split into the valid rows, in the silver contract's
-- shape (batch_rows, setup-session.sql), and the quarantined ones with their raw line (PAN masked).
INSERT INTO batch_rows
SELECT
  transaction_id, customer_id, card_id, merchant_id,
  -- A TIMESTAMPTZ is UTC microseconds inside; taking them as a plain TIMESTAMP is the UTC wall time, with no
  -- per-row zone conversion.
  make_timestamp(epoch_us(ts)) AS txn_ts,
  event_date,
  amount, currency, fx_rate,
  -- Widened first: DECIMAL(18,2) × DECIMAL(18,8) would overflow DuckDB's DECIMAL(18,10) product type.
  CAST(round(CAST(amount AS DECIMAL(38, 2)) * fx_rate, 2) AS DECIMAL(18, 2)) AS amount_reporting,
  mcc, merchant_category, status, is_refund, channel,
  card_token,
  CASE WHEN pan_valid THEN left(pan, 6) END AS card_bin,
  CASE WHEN pan_valid THEN right(pan, 4) END AS card_last4,
  entry_mode, country, mask_pan_like(city) AS city, mask_pan_like(merchant_name) AS merchant_name,
  mask_pan_like(decline_reason) AS decline_reason, original_transaction_id, is_fraud,
  CAST({{ingest_date}} AS DATE) AS ingest_date,
  {{source_file}} AS source_file,
  line_no AS source_line,
  -- The normalised content (not the raw text): the same transaction sent again with another spelling of
  -- a status or another offset of the same instant is an exact duplicate.
  md5(concat_ws('|', transaction_id, customer_id, card_id, merchant_id,
    CAST(epoch_us(ts) AS VARCHAR), CAST(amount AS VARCHAR), currency, mcc, status,
    CAST(is_refund AS VARCHAR), channel, coalesce(card_token, '-'), coalesce(entry_mode, '-'),
    coalesce(country, '-'), coalesce(city, '-'), coalesce(merchant_name, '-'), coalesce(decline_reason, '-'),
    coalesce(CAST(is_fraud AS VARCHAR), '-'), coalesce(original_transaction_id, '-'))) AS record_hash
FROM checked
WHERE len(reason_codes) = 0;

-- The raw text comes from the lines themselves, joined for the few rejected rows only.
INSERT INTO quarantine_rows
SELECT
  {{run_id}} AS run_id,
  CAST({{ingest_date}} AS DATE) AS ingest_date,
  {{source_file}} AS source_file,
  c.line_no AS line,
  c.reason_codes,
  mask_pan_like(CASE WHEN c.pan IS NOT NULL THEN replace(r.raw, c.pan, mask_pan(c.pan)) ELSE r.raw END) AS raw_record
FROM (SELECT line_no, reason_codes, pan FROM checked WHERE len(reason_codes) > 0) c
JOIN ({{lines}}) r USING (line_no);

DROP VIEW checked;
DROP TABLE parsed;
DROP TABLE pan_tokens;
DROP TABLE fx_by_day;
DROP VIEW text_records;
