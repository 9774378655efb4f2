-- A check job's results, staged for the day's commit job (check-bronze-chunk.ts): the valid rows and the
-- rejected ones as Parquet, with the column types of setup-session.sql, which the commit's session reads them
-- back into (load-checks.sql).
COPY batch_rows TO {{batch_stage}} (FORMAT parquet);
COPY quarantine_rows TO {{quarantine_stage}} (FORMAT parquet);
