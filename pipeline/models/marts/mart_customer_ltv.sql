{{ config(materialized='table', dist='customer_id', sort='customer_id', tags=['marts', 'customer']) }}
-- Lifetime value to date per customer with at least one purchase up to the as-of date.
--   tenure_days              = as-of date − first purchase date
--   tenure_months            = calendar months from the first purchase's month to the as-of month, counting both
--   average_order_value      = purchase amount ÷ purchases
--   purchases_per_active_month = purchases ÷ months with at least one purchase
--   projected_12m_value      = net revenue ÷ tenure_months × 12: the customer's monthly run rate over a year
--                              (a simple run-rate projection, no churn or discount model)
with activity as (
  select
    customer_id,
    min(case when purchase_count > 0 then event_date end) as first_purchase_date,
    max(case when purchase_count > 0 then event_date end) as last_purchase_date,
    sum(purchase_count) as purchases,
    sum(refund_count) as refunds,
    sum(purchase_amount) as purchase_amount,
    sum(refund_amount) as refund_amount
  from {{ ref('agg_customer_daily') }}
  where event_date <= {{ as_of_date() }}
  group by customer_id
  having sum(purchase_count) > 0
),

active_months as (
  select customer_id, count(distinct {{ month_start('event_date') }}) as active_months
  from {{ ref('agg_customer_daily') }}
  where event_date <= {{ as_of_date() }} and purchase_count > 0
  group by customer_id
),

measures as (
  select
    a.customer_id,
    a.first_purchase_date,
    a.last_purchase_date,
    cast({{ as_of_date() }} - a.first_purchase_date as integer) as tenure_days,
    cast({{ months_between('a.first_purchase_date', as_of_date()) }} + 1 as integer) as tenure_months,
    cast(a.purchases as integer) as purchases,
    cast(a.refunds as integer) as refunds,
    cast(a.purchase_amount as decimal(38, 2)) as gross_revenue,
    cast(a.refund_amount as decimal(38, 2)) as refund_amount,
    cast(a.purchase_amount - a.refund_amount as decimal(38, 2)) as net_revenue,
    cast(m.active_months as integer) as active_months
  from activity as a
  join active_months as m on m.customer_id = a.customer_id
)

select
  customer_id,
  {{ as_of_date() }} as as_of_date,
  first_purchase_date,
  last_purchase_date,
  tenure_days,
  tenure_months,
  purchases,
  refunds,
  gross_revenue,
  refund_amount,
  net_revenue,
  {{ money_div('gross_revenue', 'purchases') }} as average_order_value,
  active_months,
  {{ ratio('purchases', 'active_months') }} as purchases_per_active_month,
  {{ money_div('net_revenue * 12', 'tenure_months') }} as projected_12m_value
from measures
