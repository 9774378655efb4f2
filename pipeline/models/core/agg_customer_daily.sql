{{
  config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    partition_by='event_date',
    partitions=var('event_dates', []),
    dist='customer_id',
    sort='event_date',
    tags=['core']
  )
}}
-- Purchases and refunds per customer and day: the small, incrementally kept base of the customer marts, so
-- RFM, lifetime value and cohorts do not rescan the whole fact every day.
select
  customer_id,
  event_date,
  {{ purchase_measures() }}
from {{ ref('fact_transactions') }}
where (is_purchase or is_approved_refund)
{% if is_incremental() %}
  and {{ in_event_dates('event_date') }}
{% endif %}
group by customer_id, event_date
