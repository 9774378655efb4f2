-- Helpers every silver statement uses. Luhn runs in SQL so the PAN never travels to JavaScript.
CREATE OR REPLACE TEMP MACRO luhn_valid(pan) AS (
  list_sum(list_transform(
    range(length(pan)),
    i -> CASE
      WHEN i % 2 = 0 THEN ascii(substr(pan, length(pan) - i, 1)) - 48
      ELSE [0, 2, 4, 6, 8, 1, 3, 5, 7, 9][ascii(substr(pan, length(pan) - i, 1)) - 47]
    END
  )) % 10 = 0
);

-- Masks a card number in quarantined raw text: first 6 and last 4 stay, as on a receipt.
CREATE OR REPLACE TEMP MACRO mask_pan(pan) AS (
  CASE WHEN length(pan) > 10 THEN left(pan, 6) || repeat('*', length(pan) - 10) || right(pan, 4)
       ELSE repeat('*', length(pan)) END
);

-- Free text (merchant names, decline reasons, raw quarantined lines) may carry a card number typed by a
-- person; any 12–19 digit run is masked the same way.
CREATE OR REPLACE TEMP MACRO mask_pan_like(text) AS (
  regexp_replace(text, '\b([0-9]{6})[0-9]{2,9}([0-9]{4})\b', '\1******\2', 'g')
);

-- A CSV field as read by regexp: surrounding quotes removed, doubled quotes undone.
CREATE OR REPLACE TEMP MACRO csv_unquote(field) AS (
  CASE WHEN length(field) >= 2 AND starts_with(field, '"') AND ends_with(field, '"')
       THEN replace(field[2:-2], '""', '"') ELSE field END
);

CREATE OR REPLACE TEMP TABLE bronze_files (file_no INTEGER, source_file VARCHAR);

-- The record fields of DESIGN.md §3 as text, whatever format they came in; typing happens in check-records.sql.
CREATE OR REPLACE TEMP TABLE text_records (
  file_no INTEGER, line_no BIGINT, raw VARCHAR, malformed BOOLEAN,
  transaction_id VARCHAR, customer_id VARCHAR, card_id VARCHAR, merchant_id VARCHAR, txn_ts VARCHAR,
  amount VARCHAR, currency VARCHAR, mcc VARCHAR, status VARCHAR, is_refund VARCHAR, channel VARCHAR,
  card_number VARCHAR, entry_mode VARCHAR, country VARCHAR, city VARCHAR, merchant_name VARCHAR,
  decline_reason VARCHAR, is_fraud VARCHAR, original_transaction_id VARCHAR
);

CREATE OR REPLACE TEMP TABLE mcc_categories AS
SELECT mcc, merchant_category FROM read_csv({{mcc_seed}}, header = true, all_varchar = true);

CREATE OR REPLACE TEMP TABLE fx_rates AS
SELECT CAST(rate_date AS DATE) AS rate_date, currency, CAST(krw_per_unit AS DECIMAL(18, 6)) AS krw_per_unit
FROM read_csv({{fx_seed}}, header = true, all_varchar = true);
