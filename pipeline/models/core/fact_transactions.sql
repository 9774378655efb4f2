{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='transaction_id',
    record_changes=['merchant_id', 'customer_id', 'event_date'],
    dist='customer_id',
    sort='event_date',
    tags=['core']
  )
}}
-- One row per transaction_id (silver guarantees it). Every row a run changes in silver carries that run's
-- ingest_date (the newest version wins), so an incremental run replaces exactly those transaction_ids — also
-- when a version moved to another event date — and never rewrites whole days for a few late rows. Merged by
-- the key: on PostgreSQL a MERGE reads the batch once, without the temporary copy delete+insert makes (about
-- even in time); DuckDB applies a merge as delete+insert, which is its faster way (duckdb-warehouse.ts); engines
-- without MERGE get delete+insert.
-- Dimension keys point to the version valid on the event date.
select
  t.transaction_id,
  t.customer_id,
  t.card_id,
  t.merchant_id,
  c.customer_key,
  k.card_key,
  t.txn_ts,
  t.event_date,
  t.amount,
  t.currency,
  t.fx_rate,
  t.amount_reporting,
  t.mcc,
  t.merchant_category,
  t.status,
  t.is_refund,
  t.channel,
  t.is_fraud,
  t.card_token,
  t.entry_mode,
  t.country,
  t.city,
  t.merchant_name,
  t.decline_reason,
  t.original_transaction_id,
  t.ingest_date,
  t.status = 'approved' and not t.is_refund as is_purchase,
  t.status = 'approved' and t.is_refund as is_approved_refund
from {{ run_transactions(is_incremental()) }} as t
left join {{ ref('dim_customer') }} as c
  on c.customer_id = t.customer_id and t.event_date >= c.valid_from and t.event_date < c.valid_to
left join {{ ref('dim_card') }} as k
  on k.card_id = t.card_id and t.event_date >= k.valid_from and t.event_date < k.valid_to
{% if is_incremental() %}
where {{ ingest_batch('t.ingest_date', 't.event_date') }}
{% endif %}
