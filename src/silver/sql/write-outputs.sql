-- The staged outputs of one silver run. Nothing here touches the live lake: every file lands under the
-- run's staging folder and is moved in by the commit journal.

-- Touched partitions, merged: what they held minus every id this batch writes, plus the winners. One file per
-- partition; rows ordered by id so a rewrite of the same content gives the same file.
COPY (
  SELECT * FROM (
    SELECT existing.* FROM {{existing_source}} existing ANTI JOIN winners USING (transaction_id)
    UNION ALL
    SELECT * FROM winners
  )
  ORDER BY event_date, merchant_category, transaction_id
) TO {{silver_stage}} (
  FORMAT parquet, PARTITION_BY (event_date, merchant_category), WRITE_PARTITION_COLUMNS true,
  FILENAME_PATTERN 'data_{i}', COMPRESSION zstd
);

-- This ingest date's entry of the version index: the newest version of each id in this bronze partition.
-- It depends only on the bronze partition, so it is the same whatever order dates are processed in.
COPY (
  SELECT transaction_id, event_date, merchant_category, record_hash, ingest_date, source_file, source_line
  FROM batch_rows
  QUALIFY row_number() OVER (PARTITION BY transaction_id ORDER BY source_file DESC, source_line DESC) = 1
  ORDER BY transaction_id
) TO {{index_stage}} (FORMAT parquet, COMPRESSION zstd);

COPY (SELECT * FROM quarantine_rows ORDER BY source_file, line)
TO {{quarantine_stage}} (FORMAT parquet, COMPRESSION zstd);
