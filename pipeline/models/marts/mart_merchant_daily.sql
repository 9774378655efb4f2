{{
  config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['merchant_id', 'event_date'],
    delete_where="{{ in_changed_fact_groups(this, ['merchant_id', 'event_date']) }}",
    rebuild_if="{{ money_sum_too_narrow(this, 'purchase_amount') }}",
    sort='event_date',
    tags=['marts', 'daily']
  )
}}
-- Per merchant and event date: purchases, refunds, net amount and distinct purchasing customers. An incremental
-- run recomputes only the (merchant, event date) groups whose fact rows it changed (macros/event_dates.sql).
select
  f.merchant_id,
  f.event_date,
  max(m.merchant_name) as merchant_name,
  max(f.merchant_category) as merchant_category,
  {{ purchase_measures('f.') }},
  count(distinct case when f.is_purchase then f.customer_id end) as distinct_customers
from {{ ref('fact_transactions') }} as f
{% if is_incremental() %}
join ({{ changed_fact_groups(['merchant_id', 'event_date']) }}) as changed
  on changed.merchant_id = f.merchant_id and changed.event_date = f.event_date
{% endif %}
left join {{ ref('dim_merchant') }} as m on m.merchant_id = f.merchant_id
where (f.is_purchase or f.is_approved_refund)
{% if is_incremental() %}
  and {{ in_changed_dates('f.event_date') }}
{% endif %}
group by f.merchant_id, f.event_date
