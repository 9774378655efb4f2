-- Daily card snapshot: the PAN becomes card_token (the same HMAC as transactions, so they join), card_bin
-- and card_last4; an invalid PAN leaves the three NULL. Ids holding a card number are tokenized as in
-- transactions (pan_free_id), so they still join.
COPY (
  SELECT
    pan_free_id(trim(r.card_id)) AS card_id, pan_free_id(trim(r.customer_id)) AS customer_id, r.brand,
    lower(trim(r.card_type)) AS card_type,
    CASE WHEN pan_ok THEN hmac_hex(pan) END AS card_token,
    CASE WHEN pan_ok THEN left(pan, 6) END AS card_bin,
    CASE WHEN pan_ok THEN right(pan, 4) END AS card_last4,
    try_cast(r.issue_date AS DATE) AS issue_date, try_cast(r.expiry_date AS DATE) AS expiry_date,
    try_cast(r.credit_limit AS DECIMAL(18, 2)) AS credit_limit, lower(trim(r.status)) AS status,
    CAST({{snapshot_date}} AS DATE) AS snapshot_date
  FROM (
    SELECT r, pan, coalesce(regexp_full_match(pan, '[0-9]{12,19}') AND luhn_valid(pan), FALSE) AS pan_ok
    FROM (
      SELECT r, trim(r.card_number) AS pan
      FROM (
        SELECT json_transform(raw, '{"card_id":"VARCHAR","customer_id":"VARCHAR","brand":"VARCHAR",
          "card_type":"VARCHAR","card_number":"VARCHAR","issue_date":"VARCHAR","expiry_date":"VARCHAR",
          "credit_limit":"VARCHAR","status":"VARCHAR"}') AS r
        FROM entity_lines
      )
    )
  )
  WHERE nullif(trim(r.card_id), '') IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY pan_free_id(trim(r.card_id))) = 1
  ORDER BY card_id
) TO {{target}} (FORMAT parquet, COMPRESSION zstd);
