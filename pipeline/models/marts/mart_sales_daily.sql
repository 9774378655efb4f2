{{
  config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    partition_by='event_date',
    partitions=var('event_dates', []),
    rebuild_if="{{ money_sum_too_narrow(this, 'purchase_amount') }}",
    sort='event_date',
    tags=['marts', 'daily']
  )
}}
-- Sales per event date × merchant category × channel, in the reporting currency.
-- Purchase = approved and not a refund; refund = approved and a refund; net = purchases − refunds;
-- approval rate = transactions not declined ÷ all transactions (reversed ones were approved first).
select
  event_date,
  merchant_category,
  channel,
  count(*) as transaction_count,
  {{ purchase_measures() }},
  count(case when status = 'declined' then 1 end) as declined_count,
  {{ ratio("count(case when status <> 'declined' then 1 end)", 'count(*)') }} as approval_rate
from {{ ref('fact_transactions') }}
{% if is_incremental() %}
where {{ in_event_dates('event_date') }}
{% endif %}
group by event_date, merchant_category, channel
