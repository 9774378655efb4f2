-- The staged winners of one silver run, one folder per partition they fall in (the index and quarantine are
-- staged before, by write-index.sql; partitions that lose rows are then rewritten one by one from these files,
-- rewrite-partition.sql). Nothing here touches the live lake: every file lands under the run's staging folder
-- and is moved in by the commit journal.

-- By now the ledger is counted and the index written: only the winners and replaced_ids are still needed.
-- Dropping the rest leaves the write more of the memory limit (it spilled at 1GB with them).
DROP TABLE row_outcomes;
DROP TABLE current_versions;
DROP TABLE touched_partitions;
DROP TABLE quarantine_rows;

-- Only the winners go through the partitioned writer. What a rewritten partition held is merged into its file
-- afterwards, per partition and on two connections at once: on day 31 of the bench (~100 partitions rewritten,
-- 2M rows in all) that took 2.9–3.4 s instead of 5.1–6.8 s inside this one partitioned write. One file per
-- partition (the caller merges if DuckDB had to split one). Rows are not sorted: a sort of the whole day costs
-- more than the rest of the write, and readers never rely on row order. Nothing large is joined here (winners
-- is batch_rows minus the losers, classify-versions.sql): joining the batch to pick the winners inside this
-- COPY ran out of memory at 1M rows with a 1GB memory_limit. Insertion order is kept for this write alone:
-- without it the peak RSS of a 5M-row day was 1.78 GB instead of 1.52 GB (memory_limit 1GB).
-- Row groups of 16,384 rows: every open partition buffers a row group before writing it, and with the default
-- 122,880 the buffers of a day's ~460 partitions held the whole day, spilled, and the write took 9 s instead
-- of 5 (1M rows, memory_limit 1GB).
-- Two writes, by event date: first the days a daily feed puts nearly all its rows in (the ingest date and the
-- two before it: 36 large partitions), then the late rows (a few thousand spread over ~420 small partitions).
-- Every partition gets its file(s) from one of them. Kept apart, the large partitions' buffers do not compete
-- with hundreds of small ones for the memory limit: on a generated 1M-row day the write took 1.57-1.72 s
-- (2.9-3.2 CPU-s) instead of 1.85-2.01 s (3.4-3.9 CPU-s) at 1GB.
-- The winners in the contract's columns and order (src/silver/README.md): the file number becomes the name.
CREATE OR REPLACE TEMP VIEW silver_rows AS
SELECT * EXCLUDE (file_no, source_line, record_hash), source_file_of(file_no) AS source_file, source_line,
  record_hash
FROM winners;

SET preserve_insertion_order = true;
COPY (SELECT * FROM silver_rows WHERE event_date >= CAST({{ingest_date}} AS DATE) - 2) TO {{silver_stage}} (
  FORMAT parquet, PARTITION_BY (event_date, merchant_category), WRITE_PARTITION_COLUMNS true,
  FILENAME_PATTERN 'data_{i}', ROW_GROUP_SIZE 16384
);
-- The rest (the exact complement of the first), taken out into a small table in partition order first. Written
-- straight from winners, whose rows are in bronze order, each scanned chunk added a few rows to dozens of the
-- ~420 partitions, and this write of ~7,000 rows took 1.1-1.5 s (2-2.5 CPU-s); from the sorted copy it takes
-- about 0.5 s, mostly creating the files (the whole write-silver: 3.1-3.4 → 2.5-2.7 s, 5.9-6.5 → 4.2-4.5
-- CPU-s, on a generated 1M-row day). OVERWRITE_OR_IGNORE: the folder is no longer empty; no partition of this
-- write has a file from the first.
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
