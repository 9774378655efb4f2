-- CSV with a header (the original project's daily files). Fields are split per record by a regexp that honours
-- double quotes, so a row with the wrong number of fields is one malformed record, never a failed file. A
-- record is a physical line, or the lines a quoted field spans joined with LF (csv-records.ts); only an empty
-- line is blank (a line of spaces is a record with one field, as RFC 4180 and ingest's count read it). A view,
-- like parse-jsonl.sql: parsed once by check-records.sql, the raw text not copied. duplicate_header: the header
-- names a field of the contract twice, so every record is ambiguous (check-records.sql).
CREATE OR REPLACE TEMP VIEW text_records AS
SELECT file_no, line_no, malformed, CAST(NULL AS UBIGINT) AS key_list_hash,
  {{duplicate_header}} AS duplicate_header, may_hold_nul, {{field_columns}}
FROM (
  SELECT file_no, line_no, fields,
    undecodable OR length(fields) <> {{header_count}} AS malformed,
    contains(raw, chr(0)) AS may_hold_nul
  FROM (
    SELECT *, regexp_extract_all(raw, '(?:^|,)("(?:[^"]|"")*"|[^,"]*)', 1) AS fields
    FROM ({{lines}})
    WHERE line_no > 1 AND raw IS NOT NULL AND raw <> ''
  )
);
