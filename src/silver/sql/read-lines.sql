-- One row per physical line of a bronze file, in file order (DuckDB preserves insertion order, so
-- row_number() over () is the line number). No delimiter, quote or escape: the whole line is one value and is
-- parsed later per line, so one bad line can never fail the file. A line this reader refuses (a control
-- character used as delimiter here, invalid UTF-8) makes the whole statement fail; the caller then falls back
-- to a line reader in Node for that file.
INSERT INTO bronze_lines
SELECT {{file_no}} AS file_no, row_number() OVER () AS line_no, raw, FALSE AS undecodable
FROM read_csv(
  {{path}},
  columns = {'raw': 'VARCHAR'},
  delim = '\x01',
  quote = '',
  escape = '',
  header = false,
  auto_detect = false,
  strict_mode = true,
  compression = {{compression}}
);
