-- JSON Lines: each line parsed on its own. A line that is not a JSON object (or not UTF-8) is malformed;
-- unknown fields are ignored; numbers and booleans arrive as their JSON text. A view, not a table: the parse
-- runs once, inside the one statement that types the records (check-records.sql), and the raw text is not
-- copied (only quarantined rows need it; quarantine-rejected.sql takes it from the lines).
CREATE OR REPLACE TEMP VIEW text_records AS
SELECT file_no, line_no, record IS NULL AS malformed, record.*
FROM (
  SELECT file_no, line_no,
    -- json_valid first: try() re-evaluates a whole chunk row by row once one row in it fails, and bronze has
    -- a malformed line in most chunks.
    CASE WHEN NOT undecodable AND starts_with(ltrim(raw), '{') AND json_valid(raw)
         THEN try(json_transform(raw, {{schema}})) END AS record
  FROM ({{lines}})
  -- Blank lines (empty, or only Unicode space separators: what trim() removes) are skipped. A regexp and not
  -- trim(raw) <> '': trim copies the whole line.
  WHERE raw IS NOT NULL AND regexp_matches(raw, '[^\p{Zs}]')
);
