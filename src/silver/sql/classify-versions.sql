-- Rule 2 of DESIGN.md §5: one row per transaction_id, the newest arrival wins, by position
-- (ingest_date, source_file, source_line), never by processing order.
--
-- current_versions: what silver holds now for the ids of this batch, from the index (one small file per
-- processed ingest date holding the newest version of each id in that partition; the newest over all files
-- is the one in silver). Only the batch's ids are joined, so silver itself is never rescanned.
CREATE OR REPLACE TEMP TABLE current_versions AS
SELECT transaction_id, event_date, merchant_category, record_hash, ingest_date, source_file, source_line
FROM {{index_source}}
WHERE transaction_id IN (SELECT transaction_id FROM batch_rows)
QUALIFY row_number() OVER (
  PARTITION BY transaction_id ORDER BY ingest_date DESC, source_file DESC, source_line DESC) = 1;

-- Every batch row's outcome for the ledger:
--  * a row not newer than the current version (a rerun, or an older version processed after a newer one)
--    changes nothing: duplicate when it equals the current content or IS the current version, else
--    superseded (a newer version already won);
--  * otherwise compared with the version just before it (current or earlier in the batch): none → inserted,
--    same record_hash → duplicate, different → superseded.
-- Narrow columns only, one sort by id; the same pass marks each id's newest batch row (its entry of the
-- version index) and whether that row becomes the silver row (the winner).
CREATE OR REPLACE TEMP TABLE row_outcomes AS
WITH versions AS (
  SELECT transaction_id, event_date, merchant_category, ingest_date, source_file, NULL::INTEGER AS file_no,
    source_line, record_hash, TRUE AS is_current
  FROM current_versions
  UNION ALL
  SELECT transaction_id, event_date, merchant_category, ingest_date, source_file_of(file_no) AS source_file,
    file_no, source_line, record_hash, FALSE AS is_current
  FROM batch_rows
),
ordered AS (
  SELECT *,
    lag(record_hash) OVER by_position AS previous_hash,
    -- Batch rows from this one to the end of the id's versions: 1 = the newest batch row of the id.
    sum(CASE WHEN is_current THEN 0 ELSE 1 END) OVER (
      by_position ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS batch_rows_from_here
  FROM versions
  WINDOW by_position AS (
    PARTITION BY transaction_id ORDER BY ingest_date, source_file, source_line, is_current DESC)
)
SELECT
  o.transaction_id, o.event_date, o.merchant_category, o.record_hash, o.ingest_date, o.file_no,
  o.source_line,
  CASE
    WHEN c.transaction_id IS NOT NULL
      AND (o.ingest_date, o.source_file, o.source_line) <= (c.ingest_date, c.source_file, c.source_line)
      THEN CASE WHEN o.record_hash = c.record_hash
                  OR (o.ingest_date, o.source_file, o.source_line) = (c.ingest_date, c.source_file, c.source_line)
                THEN 'duplicate' ELSE 'superseded' END
    WHEN o.previous_hash IS NULL THEN 'inserted'
    WHEN o.previous_hash = o.record_hash THEN 'duplicate'
    ELSE 'superseded'
  END AS outcome,
  o.batch_rows_from_here = 1 AS is_batch_latest,
  -- The newest in the batch and not older than the current version (a tie is this same row on a rerun; it is
  -- written again, identical).
  o.batch_rows_from_here = 1 AND (c.transaction_id IS NULL
    OR (o.ingest_date, o.source_file, o.source_line) >= (c.ingest_date, c.source_file, c.source_line)) AS is_winner,
  -- Where the version a winner replaces lives now: that partition loses the id.
  c.event_date AS replaced_event_date,
  c.merchant_category AS replaced_merchant_category
FROM ordered o
LEFT JOIN current_versions c USING (transaction_id)
WHERE NOT o.is_current;

-- The batch rows that become the silver row of their id: batch_rows minus the rows that lost, deleted in
-- place (a few percent of a day), so the wide rows are never copied and the write joins nothing large. From
-- here on the ledger counts from row_outcomes.
DELETE FROM batch_rows b
USING row_outcomes o
WHERE o.file_no = b.file_no AND o.source_line = b.source_line AND NOT o.is_winner;
ALTER TABLE batch_rows RENAME TO winners;

-- The ids whose silver row a winner replaces: what the rewritten partitions must leave out of what they held
-- (usually a few thousand, against a day of winners). Not TEMP: the partitions are rewritten on several
-- connections at once (rewrite-partition.sql), and a temporary table is seen by its own connection only.
CREATE OR REPLACE TABLE replaced_ids AS
SELECT transaction_id FROM row_outcomes WHERE is_winner AND replaced_event_date IS NOT NULL;

-- Partitions the batch changes: where the winners go, and where the versions they replace leave from.
-- loses_rows: a version leaves the partition (replaced in place or moved away), so its files are rewritten; a
-- partition that only gains rows (late arrivals, new ids) can take them as one more file instead.
CREATE OR REPLACE TEMP TABLE touched_partitions AS
SELECT event_date, merchant_category, bool_or(loses_rows) AS loses_rows
FROM (
  SELECT event_date, merchant_category, FALSE AS loses_rows FROM row_outcomes WHERE is_winner
  UNION ALL
  SELECT replaced_event_date, replaced_merchant_category, TRUE FROM row_outcomes
  WHERE is_winner AND replaced_event_date IS NOT NULL
)
GROUP BY ALL;
