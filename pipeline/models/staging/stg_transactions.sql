{{ config(materialized='view', tags=['staging']) }}
-- Typed, renamed view over silver (macros/typed_transactions.sql).
{{ typed_transactions(source('silver', 'transactions')) }}
