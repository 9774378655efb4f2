-- One silver partition that loses rows (a version replaced in place or moved away) or holds too many files,
-- rewritten into one file: what it held minus the ids whose row a winner replaces (replaced_ids,
-- classify-versions.sql), plus the run's winners for it (staged by write-silver.sql; none when all that
-- changes is rows leaving). The caller runs one of these per partition, on several connections at once; a
-- partition left without rows is deleted instead of written. Both sides are read by position: every silver
-- file has the contract's columns in the contract's order (src/silver/README.md).
COPY (
  SELECT existing.* FROM read_parquet({{existing_files}}, hive_partitioning = false) existing
  ANTI JOIN replaced_ids USING (transaction_id)
  UNION ALL
  SELECT * FROM {{staged_source}}
) TO {{target}} (FORMAT parquet);
