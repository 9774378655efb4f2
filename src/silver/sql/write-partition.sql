-- One big touched partition written by a plain COPY of its own (OWN_COPY_MIN_WINNERS in run-silver.ts): what
-- it held minus every id this batch writes, plus its winners, in one file. Same rows and columns as the
-- partitioned COPY of write-outputs.sql gives a partition (WRITE_PARTITION_COLUMNS keeps both keys there too).
-- Unlike that one it runs without insertion order (the session's setting): a plain COPY then writes each
-- row group as a thread fills it, with nothing held back to reorder; with insertion order on, the 14 big
-- partitions of a generated 1M-row day cost 7–14 CPU-s instead of 5–8.
COPY (
  SELECT existing.* FROM {{existing_source}} existing
  ANTI JOIN (SELECT transaction_id FROM winners) w USING (transaction_id)
  UNION ALL
  SELECT * FROM winners WHERE event_date = {{event_date}}::DATE AND merchant_category = {{merchant_category}}
) TO {{target}} (FORMAT parquet);
