-- One bronze file's rejected records (check-records.sql) into quarantine_rows, with their raw record (PANs masked,
-- decimal amounts left readable).
-- Runs first, so the caller can drop the file's lines before keep-valid.sql builds the valid rows: only the
-- rejected rows need the raw text, joined from the lines for those rows alone. They are set apart first, so the
-- join knows they are few and hashes them, not the lines (a plan that hashed every line of a large file cost
-- more than the rest of this step).
CREATE OR REPLACE TEMP TABLE rejected AS
SELECT line_no, reason_codes, pan FROM checked WHERE NOT valid;

INSERT INTO quarantine_rows
SELECT
  {{run_id}} AS run_id,
  CAST({{ingest_date}} AS DATE) AS ingest_date,
  {{source_file}} AS source_file,
  c.line_no AS line,
  c.reason_codes,
  mask_pan_in_record(CASE WHEN c.pan IS NOT NULL THEN replace(r.raw, c.pan, mask_pan(c.pan)) ELSE r.raw END)
    AS raw_record
FROM rejected c
JOIN ({{lines}}) r USING (line_no);

DROP TABLE rejected;
