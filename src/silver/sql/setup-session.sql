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

-- Free text (merchant names, decline reasons, cities) may carry a card number typed by a person; any 12–19
-- digit run is masked the same way.
CREATE OR REPLACE TEMP MACRO mask_pan_like(text) AS (
  regexp_replace(text, '\b([0-9]{6})[0-9]{2,9}([0-9]{4})\b', '\1******\2', 'g')
);

-- A quarantined raw record: every run of 12–19 digits is masked, except one that is part of a decimal number
-- (`"amount":"99999999999999.99"` stays readable: the operator must see the amount that was refused). The
-- text is cut into digit runs (with their decimal fractions) and the rest; only quarantined rows pay for it.
CREATE OR REPLACE TEMP MACRO mask_pan_in_record(text) AS (
  array_to_string(list_transform(
    regexp_extract_all(text, '[0-9]+(?:\.[0-9]+)*|[^0-9]+'),
    part -> CASE WHEN regexp_full_match(part, '[0-9]{12,19}') THEN left(part, 6) || '******' || right(part, 4)
                 ELSE part END), '')
);

-- HMAC-SHA256 of a text under the tokenization key, as hex: sha256(opad ‖ unhex(sha256(ipad ‖ text))) with
-- the padded keys of hmac-key-pads.ts (card_token, and the identifiers below).
CREATE OR REPLACE TEMP MACRO hmac_hex(text) AS (
  sha256({{hmac_outer}} || unhex(sha256({{hmac_inner}} || encode(text))))
);

-- An identifier (transaction, customer, card, merchant id) that holds a card number — a run of 12–19 digits
-- that passes Luhn — becomes `tok_` + 32 hex digits of its HMAC: no PAN passes silver, and the same id gives
-- the same token in every dataset and run, so transactions and entity snapshots still join. About 1 in 10
-- random numeric ids of that length pass Luhn too; they are tokenized the same way rather than quarantined,
-- which would drop real records. The cheap tests first: most ids have no run of 12 digits at all.
CREATE OR REPLACE TEMP MACRO pan_free_id(id) AS (
  CASE WHEN strlen(id) >= 12 AND regexp_matches(id, '[0-9]{12}')
        AND list_bool_or(list_transform(regexp_extract_all(id, '[0-9]+'),
              run -> length(run) BETWEEN 12 AND 19 AND luhn_valid(run)))
       THEN 'tok_' || left(hmac_hex(id), 32)
       ELSE id END
);

-- A field as the contract reads it: Unicode space separators trimmed off both ends (what trim() removes: not
-- tabs or newlines), and empty → NULL. trim() copies every value it is given, so a value of ASCII characters
-- only that neither starts nor ends with ' ' (the one ASCII space separator) is returned as it is instead.
CREATE OR REPLACE TEMP MACRO field_text(text) AS (
  nullif(
    CASE WHEN starts_with(text, ' ') OR ends_with(text, ' ') OR strlen(text) <> length(text) THEN trim(text)
         ELSE text END,
    '')
);

-- A CSV field as read by regexp: surrounding quotes removed, doubled quotes undone.
CREATE OR REPLACE TEMP MACRO csv_unquote(field) AS (
  CASE WHEN length(field) >= 2 AND starts_with(field, '"') AND ends_with(field, '"')
       THEN replace(field[2:-2], '""', '"') ELSE field END
);

-- The bronze file a batch row came from, by its position in the partition's files (bronze-files.ts): the
-- batch holds the number, not the name, which would repeat a long path on every row of the winners,
-- row_outcomes and their indexes.
CREATE OR REPLACE TEMP MACRO source_file_of(file_no) AS (({{source_files}})[file_no + 1]);

-- What every bronze file of the batch adds to, one file at a time (parse, check and split run per file, so the
-- raw lines of only one file are held at once): valid records in the silver contract's shape and column order
-- (silver-contract.ts) but for file_no in place of source_file (record-fields.ts: batchRowColumns), plus the
-- position that decides which version of a transaction is newest, (ingest_date, source_file, source_line).
CREATE OR REPLACE TEMP TABLE batch_rows ({{batch_columns}});

-- ... and the rejected ones, in the quarantine file's shape.
CREATE OR REPLACE TEMP TABLE quarantine_rows (
  run_id VARCHAR, ingest_date DATE, source_file VARCHAR, line BIGINT, reason_codes VARCHAR[],
  raw_record VARCHAR
);

CREATE OR REPLACE TEMP TABLE mcc_categories AS
SELECT mcc, merchant_category FROM read_csv({{mcc_seed}}, header = true, all_varchar = true);

CREATE OR REPLACE TEMP TABLE fx_rates AS
SELECT CAST(rate_date AS DATE) AS rate_date, currency, CAST(krw_per_unit AS DECIMAL(18, 6)) AS krw_per_unit
FROM read_csv({{fx_seed}}, header = true, all_varchar = true);
