-- The staged version index entry and quarantine file of one silver run, written before the silver partitions
-- (write-silver.sql) so the tables they read can be dropped before that larger write. Nothing here touches the
-- live lake: the files land in the run's work folder and are published by its commit (silver-commit.ts).

-- This ingest date's entry of the version index: the newest version of each id in this bronze partition.
-- It depends only on the bronze partition, so it is the same whatever order dates are processed in.
COPY (
  SELECT transaction_id, event_date, merchant_category, record_hash, ingest_date,
    source_file_of(file_no) AS source_file, source_line
  FROM row_outcomes
  WHERE is_batch_latest
) TO {{index_stage}} (FORMAT parquet);

COPY (SELECT * FROM quarantine_rows ORDER BY source_file, line)
TO {{quarantine_stage}} (FORMAT parquet, COMPRESSION zstd);
