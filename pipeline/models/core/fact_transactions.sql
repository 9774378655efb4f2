{{
  config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    partition_by='event_date',
    partitions=var('event_dates', []),
    unique_key='transaction_id',
    dist='customer_id',
    sort='event_date',
    tags=['core']
  )
}}
-- One row per transaction_id (silver guarantees it). Incremental runs rebuild only the event dates the batch
-- touched; a transaction whose newest version moved to another date is in the touched set twice (the date it
-- left and the date it joined), so no stale copy survives. Dimension keys point to the version valid on the
-- event date.
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
from {{ ref('stg_transactions') }} as t
left join {{ ref('dim_customer') }} as c
  on c.customer_id = t.customer_id and t.event_date >= c.valid_from and t.event_date < c.valid_to
left join {{ ref('dim_card') }} as k
  on k.card_id = t.card_id and t.event_date >= k.valid_from and t.event_date < k.valid_to
{% if is_incremental() %}
where {{ in_event_dates('t.event_date') }}
{% endif %}
