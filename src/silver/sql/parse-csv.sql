-- CSV with a header (the original project's daily files). Fields are split per line by a regexp that honours
-- double quotes, so a row with the wrong number of fields is one malformed record, never a failed file.
-- Quoted fields spanning lines are not supported (each physical line is a record). A view, like
-- parse-jsonl.sql: parsed once by check-records.sql, the raw text not copied.
CREATE OR REPLACE TEMP VIEW text_records AS
SELECT file_no, line_no, malformed, {{field_columns}}
FROM (
  SELECT file_no, line_no, fields,
    undecodable OR length(fields) <> {{header_count}} AS malformed
  FROM (
    SELECT *, regexp_extract_all(raw, '(?:^|,)("(?:[^"]|"")*"|[^,"]*)', 1) AS fields
    FROM ({{lines}})
    WHERE line_no > 1 AND raw IS NOT NULL AND regexp_matches(raw, '[^\p{Zs}]')  -- not blank (see parse-jsonl.sql)
  )
);
