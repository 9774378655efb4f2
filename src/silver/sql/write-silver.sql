-- The staged winners of one silver run, one folder per partition they fall in (the index and quarantine are
-- staged before, by write-index.sql; partitions that lose rows are then rewritten one by one from these files,
-- rewrite-partition.sql). Nothing here touches the live lake: every file lands in the run's work folder and is
-- published by its commit (silver-commit.ts).

-- By now the ledger is counted and the index written: only the winners and replaced_ids are still needed.
-- Dropping the rest leaves the write more of the memory limit.
DROP TABLE row_outcomes;
DROP TABLE current_versions;
DROP TABLE touched_partitions;
DROP TABLE quarantine_rows;

-- Only the winners go through the partitioned writer: what a rewritten partition held is merged into its file
-- afterwards, per partition and on two connections at once, which costs less than passing it through this
-- write. One file per partition (the caller merges if DuckDB had to split one). Rows are not sorted: a sort of
-- the whole day costs more than the rest of the write, and readers never rely on row order.
-- Trap: nothing large may be joined inside these COPYs (winners is batch_rows minus the losers,
-- classify-versions.sql): joining the batch to pick the winners here runs out of memory on a large day.
-- Insertion order is kept for this write alone: it lowers the write's peak memory.
-- Row groups of 16,384 rows: every open partition buffers a row group before writing it, and with the default
-- 122,880 the buffers of a day's hundreds of partitions hold the whole day and spill.
-- Two writes, by event date: first the days a daily feed puts nearly all its rows in (the ingest date and the
-- two before it), then the late rows (a few thousand spread over hundreds of small partitions), so the large
-- partitions' buffers do not compete with the small ones for the memory limit. Every partition gets its
-- file(s) from one of them.
-- The winners in the contract's columns and order (silver-contract.ts): the file number becomes the name.
CREATE OR REPLACE TEMP VIEW silver_rows AS
SELECT * EXCLUDE (file_no, source_line, record_hash), source_file_of(file_no) AS source_file, source_line,
  record_hash
FROM winners;

SET preserve_insertion_order = true;
COPY (SELECT * FROM silver_rows WHERE event_date >= CAST({{ingest_date}} AS DATE) - 2) TO {{silver_stage}} (
  FORMAT parquet, PARTITION_BY (event_date, merchant_category), WRITE_PARTITION_COLUMNS true,
  FILENAME_PATTERN 'data_{i}', ROW_GROUP_SIZE 16384
);
-- The rest (the exact complement of the first), taken out into a small table in partition order first:
-- written straight from winners, whose rows are in bronze order, each scanned chunk would add a few rows to
-- dozens of partitions. OVERWRITE_OR_IGNORE: the folder is no longer empty; no partition of this write has a
-- file from the first.
CREATE OR REPLACE TEMP TABLE late_rows AS
SELECT * FROM silver_rows WHERE NOT coalesce(event_date >= CAST({{ingest_date}} AS DATE) - 2, false)
ORDER BY event_date, merchant_category;
COPY late_rows TO {{silver_stage}} (
  FORMAT parquet, PARTITION_BY (event_date, merchant_category), WRITE_PARTITION_COLUMNS true,
  FILENAME_PATTERN 'late_{i}', ROW_GROUP_SIZE 16384, OVERWRITE_OR_IGNORE true
);
SET preserve_insertion_order = false;

-- The rewrites read the staged files, not this table.
DROP TABLE late_rows;
DROP VIEW silver_rows;
DROP TABLE winners;
