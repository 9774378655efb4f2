{{ config(materialized='view', tags=['staging']) }}
-- The rows of stg_transactions that the pipeline run's silver commit wrote (staging.silver_transactions_batch,
-- exposed by the load task: on DuckDB a view over only the files that commit wrote). Incremental models read
-- the run's transactions from here in a pipeline run (macros/event_dates.sql: run_transactions).
{{ typed_transactions(source('silver', 'transactions_batch')) }}
