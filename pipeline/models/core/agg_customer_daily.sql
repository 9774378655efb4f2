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
  count(case when is_purchase then 1 end) as purchase_count,
  cast(coalesce(sum(case when is_purchase then amount_reporting end), 0) as decimal(18, 2)) as purchase_amount,
  count(case when is_approved_refund then 1 end) as refund_count,
  cast(coalesce(sum(case when is_approved_refund then amount_reporting end), 0) as decimal(18, 2)) as refund_amount
from {{ ref('fact_transactions') }}
where (is_purchase or is_approved_refund)
{% if is_incremental() %}
  and {{ in_event_dates('event_date') }}
{% endif %}
group by customer_id, event_date
