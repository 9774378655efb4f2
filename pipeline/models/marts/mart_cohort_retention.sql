{{ config(materialized='table', sort='cohort_month', tags=['marts', 'customer']) }}
-- Cohort = calendar month of a customer's first purchase. For every month from the cohort month to the as-of
-- month (zero-activity months included): customers with a purchase in that month, retention rate (÷ cohort
-- size) and the cohort's net revenue in that month.
with customer_months as (
  select
    customer_id,
    {{ month_start('event_date') }} as activity_month,
    sum(purchase_count) as purchases,
    sum(purchase_amount) - sum(refund_amount) as net_revenue
  from {{ ref('agg_customer_daily') }}
  where event_date <= {{ as_of_date() }}
  group by customer_id, {{ month_start('event_date') }}
),

cohorts as (
  select customer_id, min(activity_month) as cohort_month
  from customer_months
  where purchases > 0
  group by customer_id
),

cohort_sizes as (
  select cohort_month, count(*) as cohort_size
  from cohorts
  group by cohort_month
),

months as (
  select distinct {{ month_start('date_day') }} as activity_month
  from {{ ref('dim_date') }}
  where date_day <= {{ as_of_date() }}
),

grid as (
  select s.cohort_month, s.cohort_size, m.activity_month
  from cohort_sizes as s
  join months as m on m.activity_month >= s.cohort_month
),

activity as (
  select
    c.cohort_month,
    cm.activity_month,
    count(distinct case when cm.purchases > 0 then cm.customer_id end) as active_customers,
    sum(cm.net_revenue) as net_revenue
  from customer_months as cm
  join cohorts as c on c.customer_id = cm.customer_id
  group by c.cohort_month, cm.activity_month
)

select
  g.cohort_month,
  cast({{ months_between('g.cohort_month', 'g.activity_month') }} as integer) as months_since_first,
  g.activity_month,
  cast(g.cohort_size as integer) as cohort_size,
  cast(coalesce(a.active_customers, 0) as integer) as active_customers,
  {{ ratio('coalesce(a.active_customers, 0)', 'g.cohort_size') }} as retention_rate,
  cast(coalesce(a.net_revenue, 0) as decimal(38, 2)) as net_revenue
from grid as g
left join activity as a
  on a.cohort_month = g.cohort_month and a.activity_month = g.activity_month
