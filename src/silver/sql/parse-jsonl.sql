-- JSON Lines: each line parsed on its own. A line that is not a JSON object (or not UTF-8) is malformed;
-- unknown fields are ignored; numbers and booleans arrive as their JSON text. A view, not a table: the parse
-- runs once, inside the one statement that types the records (check-records.sql), and the raw text is not
-- copied (only quarantined rows need it; quarantine-rejected.sql takes it from the lines).
-- key_list_hash identifies the line's list of keys, so check-records.sql can find objects that name a field
-- twice by looking at one line per distinct list; may_hold_nul marks lines that may carry a NUL character
-- (the JSON escape \u0000), which no SQL warehouse can store.
CREATE OR REPLACE TEMP VIEW text_records AS
SELECT file_no, line_no, record IS NULL AS malformed, key_list_hash, FALSE AS duplicate_header, may_hold_nul,
  record.*
FROM (
  SELECT file_no, line_no,
    -- json_valid first: try() re-evaluates a whole chunk row by row once one row in it fails, and bronze has
    -- a malformed line in most chunks.
    CASE WHEN object THEN try(json_transform(raw, {{schema}})) END AS record,
    CASE WHEN object THEN hash(json_keys(raw)) END AS key_list_hash,
    contains(raw, '\u0000') OR contains(raw, chr(0)) AS may_hold_nul
  FROM (
    SELECT file_no, line_no, raw, NOT undecodable AND starts_with(ltrim(raw), '{') AND json_valid(raw) AS object
    FROM ({{lines}})
    -- Blank lines (empty, or only Unicode space separators: what trim() removes) are skipped. A regexp and
    -- not trim(raw) <> '': trim copies the whole line.
    WHERE raw IS NOT NULL AND regexp_matches(raw, '[^\p{Zs}]')
  )
);
