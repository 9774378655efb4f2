{{
  config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['customer_id', 'event_date'],
    delete_where="{{ in_changed_fact_groups(this, ['customer_id', 'event_date']) }}",
    rebuild_if="{{ money_sum_too_narrow(this, 'purchase_amount') }}",
    dist='customer_id',
    sort='event_date',
    tags=['core']
  )
}}
-- Purchases and refunds per customer and day: the small, incrementally kept base of the customer marts, so
-- RFM, lifetime value and cohorts do not rescan the whole fact every day. An incremental run recomputes only
-- the (customer, event date) groups whose fact rows it changed (macros/event_dates.sql).
select
  f.customer_id,
  f.event_date,
  {{ purchase_measures('f.') }}
from {{ ref('fact_transactions') }} as f
{% if is_incremental() %}
join ({{ changed_fact_groups(['customer_id', 'event_date']) }}) as changed
  on changed.customer_id = f.customer_id and changed.event_date = f.event_date
{% endif %}
where (f.is_purchase or f.is_approved_refund)
{% if is_incremental() %}
  and {{ in_changed_dates('f.event_date') }}
{% endif %}
group by f.customer_id, f.event_date
