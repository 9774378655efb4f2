-- One bronze file's valid records (check-records.sql) into batch_rows, in the silver contract's shape
-- (setup-session.sql). Runs after quarantine-rejected.sql, once the file's lines are dropped: the lines, the
-- typed records and the valid rows of a large file held together outgrow the memory limit and spill.
INSERT INTO batch_rows
SELECT
  transaction_id, customer_id, card_id, merchant_id,
  -- A TIMESTAMPTZ is UTC microseconds inside; taking them as a plain TIMESTAMP is the UTC wall time, with no
  -- per-row zone conversion.
  make_timestamp(epoch_us(ts)) AS txn_ts,
  event_date,
  amount, currency, fx_rate,
  -- Widened first: DECIMAL(18,2) × DECIMAL(18,8) would overflow DuckDB's DECIMAL(18,10) product type.
  -- check-records.sql quarantined the records whose result does not fit DECIMAL(18,2).
  CAST(round(CAST(amount AS DECIMAL(38, 2)) * fx_rate, 2) AS DECIMAL(18, 2)) AS amount_reporting,
  mcc, merchant_category, status, is_refund, channel,
  card_token,
  CASE WHEN pan_valid THEN left(pan, 6) END AS card_bin,
  CASE WHEN pan_valid THEN right(pan, 4) END AS card_last4,
  entry_mode, country, mask_pan_like(city) AS city, mask_pan_like(merchant_name) AS merchant_name,
  mask_pan_like(decline_reason) AS decline_reason, original_transaction_id, is_fraud,
  CAST({{ingest_date}} AS DATE) AS ingest_date,
  {{file_no}} AS file_no,
  line_no AS source_line,
  -- The normalised content (not the raw text): the same transaction sent again with another spelling of
  -- a status or another offset of the same instant is an exact duplicate.
  md5(concat_ws('|', transaction_id, customer_id, card_id, merchant_id,
    CAST(epoch_us(ts) AS VARCHAR), CAST(amount AS VARCHAR), currency, mcc, status,
    CAST(is_refund AS VARCHAR), channel, coalesce(card_token, '-'), coalesce(entry_mode, '-'),
    coalesce(country, '-'), coalesce(city, '-'), coalesce(merchant_name, '-'), coalesce(decline_reason, '-'),
    coalesce(CAST(is_fraud AS VARCHAR), '-'), coalesce(original_transaction_id, '-'))) AS record_hash
FROM checked
WHERE valid;

DROP VIEW checked;
DROP TABLE parsed;
DROP TABLE pan_tokens;
DROP TABLE fx_by_day;
DROP TABLE duplicate_key_lists;
DROP VIEW text_records;
