-- Daily customer snapshot, typed (src/silver/README.md). Lines that are not JSON objects or lack the id are
-- counted as rejected by the caller (entity_lines minus rows written). An id holding a card number is tokenized
-- as in transactions (pan_free_id), so they still join.
COPY (
  SELECT
    pan_free_id(trim(r.customer_id)) AS customer_id, r.name, r.email, try_cast(r.birth_year AS INTEGER) AS birth_year,
    r.city, r.country, r.segment, try_cast(r.signup_date AS DATE) AS signup_date,
    CAST({{snapshot_date}} AS DATE) AS snapshot_date
  FROM (
    SELECT json_transform(raw, '{"customer_id":"VARCHAR","name":"VARCHAR","email":"VARCHAR","birth_year":"VARCHAR",
      "city":"VARCHAR","country":"VARCHAR","segment":"VARCHAR","signup_date":"VARCHAR"}') AS r
    FROM entity_lines
  )
  WHERE nullif(trim(r.customer_id), '') IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY pan_free_id(trim(r.customer_id))) = 1
  ORDER BY customer_id
) TO {{target}} (FORMAT parquet, COMPRESSION zstd);
