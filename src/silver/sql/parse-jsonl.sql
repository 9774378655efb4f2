-- JSON Lines: each line parsed on its own, once. A line that is not a JSON object (or not UTF-8) is kept as
-- malformed with its raw text; unknown fields are ignored; numbers and booleans arrive as their JSON text.
INSERT INTO text_records
SELECT file_no, line_no, raw, record IS NULL AS malformed, record.*
FROM (
  SELECT file_no, line_no, raw,
    CASE WHEN NOT undecodable AND starts_with(ltrim(raw), '{') THEN try(json_transform(raw, {{schema}})) END AS record
  FROM ({{lines}})
  WHERE raw IS NOT NULL AND trim(raw) <> ''
);
