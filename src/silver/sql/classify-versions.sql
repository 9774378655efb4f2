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
CREATE OR REPLACE TEMP TABLE row_outcomes AS
WITH versions AS (
  SELECT transaction_id, ingest_date, source_file, source_line, record_hash, TRUE AS is_current
  FROM current_versions
  UNION ALL
  SELECT transaction_id, ingest_date, source_file, source_line, record_hash, FALSE AS is_current
  FROM batch_rows
),
ordered AS (
  SELECT *, lag(record_hash) OVER (
    PARTITION BY transaction_id ORDER BY ingest_date, source_file, source_line, is_current DESC
  ) AS previous_hash
  FROM versions
)
SELECT
  o.transaction_id, o.source_file, o.source_line,
  CASE
    WHEN c.transaction_id IS NOT NULL
      AND (o.ingest_date, o.source_file, o.source_line) <= (c.ingest_date, c.source_file, c.source_line)
      THEN CASE WHEN o.record_hash = c.record_hash
                  OR (o.ingest_date, o.source_file, o.source_line) = (c.ingest_date, c.source_file, c.source_line)
                THEN 'duplicate' ELSE 'superseded' END
    WHEN o.previous_hash IS NULL THEN 'inserted'
    WHEN o.previous_hash = o.record_hash THEN 'duplicate'
    ELSE 'superseded'
  END AS outcome
FROM ordered o
LEFT JOIN current_versions c USING (transaction_id)
WHERE NOT o.is_current;

-- The newest version of each id within this bronze partition: this date's entry of the version index.
CREATE OR REPLACE TEMP TABLE batch_latest AS
SELECT * FROM batch_rows
QUALIFY row_number() OVER (PARTITION BY transaction_id ORDER BY source_file DESC, source_line DESC) = 1;

-- The batch rows that become the silver row of their id: newest in the batch and not older than the current
-- version (a tie is this same row on a rerun; it is written again, identical).
CREATE OR REPLACE TEMP TABLE winners AS
SELECT b.*
FROM batch_latest b
LEFT JOIN current_versions c USING (transaction_id)
WHERE c.transaction_id IS NULL
   OR (b.ingest_date, b.source_file, b.source_line) >= (c.ingest_date, c.source_file, c.source_line);

-- Partitions to rewrite: where the winners go, and where the versions they replace leave from.
CREATE OR REPLACE TEMP TABLE touched_partitions AS
SELECT DISTINCT event_date, merchant_category FROM winners
UNION
SELECT c.event_date, c.merchant_category
FROM current_versions c
JOIN winners w USING (transaction_id);
