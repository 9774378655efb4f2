-- The day's commit job takes the staged results of its check jobs (stage-check.sql) in place of reading bronze
-- itself (run-silver.ts): the same rows readBronzeBatch would have put in the two tables, by column name.
INSERT INTO batch_rows BY NAME SELECT * FROM read_parquet({{batch_files}});
INSERT INTO quarantine_rows BY NAME SELECT * FROM read_parquet({{quarantine_files}});
