-- RFC 4180 records of one CSV file (csv-records.ts runs this only for a file with a line that holds an odd
-- number of double quotes; most CSVs have none). A quoted field may span lines: a line with an odd number of
-- quotes opens or closes such a field (a doubled quote inside it counts twice, so it changes nothing). A
-- record starts at a line with an even number of such lines before it; it runs to the next start, its lines
-- joined with LF and numbered by its first line, so quarantine points at where the record begins. A quote
-- never closed makes the rest of the file one record, as any RFC 4180 reader reads it.
CREATE OR REPLACE TEMP TABLE csv_records AS
WITH marked AS (
  SELECT file_no, line_no, raw, undecodable,
    CASE WHEN contains(raw, '"') AND (strlen(raw) - strlen(replace(raw, '"', ''))) % 2 = 1 THEN 1 ELSE 0 END
      AS odd
  FROM ({{lines}})
),
opened AS (
  SELECT *, sum(odd) OVER (ORDER BY line_no ROWS UNBOUNDED PRECEDING) - odd AS odd_before
  FROM marked
),
numbered AS (
  SELECT *,
    sum(CASE WHEN odd_before % 2 = 0 THEN 1 ELSE 0 END) OVER (ORDER BY line_no ROWS UNBOUNDED PRECEDING)
      AS record_no
  FROM opened
)
SELECT any_value(file_no) AS file_no, min(line_no) AS line_no,
  CASE WHEN count(*) = 1 THEN any_value(raw) ELSE string_agg(coalesce(raw, ''), chr(10) ORDER BY line_no) END
    AS raw,
  bool_or(undecodable) AS undecodable
FROM numbered
GROUP BY record_no;
