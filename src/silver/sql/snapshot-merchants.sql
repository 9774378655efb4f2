-- Daily merchant snapshot with merchant_category from the MCC seed (`other` for an unknown MCC). An id holding
-- a card number is tokenized as in transactions (pan_free_id), so they still join.
COPY (
  SELECT
    pan_free_id(trim(r.merchant_id)) AS merchant_id, mask_pan_like(r.merchant_name) AS merchant_name, trim(r.mcc) AS mcc,
    coalesce(m.merchant_category, 'other') AS merchant_category, r.city, r.country,
    CAST({{snapshot_date}} AS DATE) AS snapshot_date
  FROM (
    SELECT json_transform(raw, '{"merchant_id":"VARCHAR","merchant_name":"VARCHAR","mcc":"VARCHAR",
      "city":"VARCHAR","country":"VARCHAR"}') AS r
    FROM entity_lines
  )
  LEFT JOIN mcc_categories m ON m.mcc = trim(r.mcc)
  WHERE nullif(trim(r.merchant_id), '') IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY pan_free_id(trim(r.merchant_id))) = 1
  ORDER BY merchant_id
) TO {{target}} (FORMAT parquet, COMPRESSION zstd);
