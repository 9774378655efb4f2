-- The staged silver partitions of one silver run (the index and quarantine are staged before, by
-- write-index.sql). Nothing here touches the live lake: every file lands under the run's staging folder and is
-- moved in by the commit journal.

-- By now the ledger is counted and the index written: only the winners and replaced_ids are still needed. Dropping the rest
-- leaves the write more of the memory limit (it spilled at 1GB with them).
DROP TABLE row_outcomes;
DROP TABLE current_versions;
DROP TABLE touched_partitions;
DROP TABLE quarantine_rows;

-- Touched partitions: for a partition being rewritten (partition-writes.ts), what it held minus the ids whose
-- row a winner replaces (replaced_ids, classify-versions.sql: a few thousand ids to hash instead of the day's
-- winners), plus the winners; for one that only gains rows, just the winners ({{existing_source}} lists
-- the files of the rewritten partitions only). One file per partition (the caller merges if DuckDB had to
-- split one). Rows are not sorted: a sort of the whole day
-- costs more than the rest of the write, and readers never rely on row order. Nothing large is joined here
-- (winners is batch_rows minus the losers, classify-versions.sql): joining the batch to pick the winners inside
-- this COPY ran out of memory at 1M rows with a 1GB memory_limit. Insertion order is kept for this write alone:
-- without it the peak RSS of a 5M-row day was 1.78 GB instead of 1.52 GB (memory_limit 1GB).
-- Row groups of 16,384 rows: every open partition buffers a row group before writing it, and with the default
-- 122,880 the buffers of a day's ~460 partitions held the whole day, spilled, and the write took 9 s instead
-- of 5 (1M rows, memory_limit 1GB).
SET preserve_insertion_order = true;
COPY (
  SELECT existing.* FROM {{existing_source}} existing
  ANTI JOIN replaced_ids USING (transaction_id)
  UNION ALL
  SELECT * FROM winners
) TO {{silver_stage}} (
  FORMAT parquet, PARTITION_BY (event_date, merchant_category), WRITE_PARTITION_COLUMNS true,
  FILENAME_PATTERN 'data_{i}', ROW_GROUP_SIZE 16384
);

SET preserve_insertion_order = false;
