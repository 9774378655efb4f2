-- The lines of one bronze file, in file order, into file_lines(raw). No delimiter, quote or escape: the whole
-- line is one value, parsed later per line, so one bad line can never fail the file. DuckDB preserves insertion
-- order, so the table's rowid + 1 is the line number (a window row_number() would run single-threaded). A
-- line this reader refuses (the \x01 used as delimiter here, invalid UTF-8) fails the statement; the caller
-- then reads that file again with the tolerant line reader in Node. The session otherwise runs without insertion
-- order (silver-database.ts); it is switched on for this one statement (and off again by the caller).
SET preserve_insertion_order = true;
CREATE OR REPLACE TEMP TABLE file_lines AS
SELECT raw
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
