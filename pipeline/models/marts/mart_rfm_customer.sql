{{ config(materialized='table', dist='customer_id', sort='customer_id', tags=['marts', 'customer']) }}
-- Recency, frequency, monetary per customer with at least one purchase up to the as-of date (never the wall
-- clock). Scores are quintiles with customer_id as the tie-break, so reruns give identical scores:
--   r_score = 6 − NTILE(5) over (recency_days, customer_id)   (5 = bought most recently)
--   f_score = NTILE(5) over (frequency, customer_id)
--   m_score = NTILE(5) over (monetary, customer_id)
-- Segments (first match wins):
--   Champions          r ≥ 4 and f ≥ 4
--   Loyal              r = 3 and f ≥ 4
--   Potential Loyalist r ≥ 4 and f in (2, 3)
--   New Customers      r ≥ 4 and f = 1
--   Need Attention     r = 3 and f ≤ 3
--   Cannot Lose Them   r = 1 and f ≥ 4
--   At Risk            r ≤ 2 and f ≥ 3
--   Hibernating        r ≤ 2 and f ≤ 2
with activity as (
  select
    customer_id,
    max(case when purchase_count > 0 then event_date end) as last_purchase_date,
    sum(purchase_count) as frequency,
    cast(sum(purchase_amount) - sum(refund_amount) as decimal(38, 2)) as monetary
  from {{ ref('agg_customer_daily') }}
  where event_date <= {{ as_of_date() }}
  group by customer_id
  having sum(purchase_count) > 0
),

scored as (
  select
    customer_id,
    last_purchase_date,
    cast({{ as_of_date() }} - last_purchase_date as integer) as recency_days,
    cast(frequency as integer) as frequency,
    monetary,
    cast(6 - ntile(5) over (order by {{ as_of_date() }} - last_purchase_date, customer_id) as integer) as r_score,
    cast(ntile(5) over (order by frequency, customer_id) as integer) as f_score,
    cast(ntile(5) over (order by monetary, customer_id) as integer) as m_score
  from activity
)

select
  customer_id,
  {{ as_of_date() }} as as_of_date,
  last_purchase_date,
  recency_days,
  frequency,
  monetary,
  r_score,
  f_score,
  m_score,
  r_score * 100 + f_score * 10 + m_score as rfm_code,
  case
    when r_score >= 4 and f_score >= 4 then 'Champions'
    when r_score = 3 and f_score >= 4 then 'Loyal'
    when r_score >= 4 and f_score >= 2 then 'Potential Loyalist'
    when r_score >= 4 then 'New Customers'
    when r_score = 3 then 'Need Attention'
    when r_score = 1 and f_score >= 4 then 'Cannot Lose Them'
    when f_score >= 3 then 'At Risk'
    else 'Hibernating'
  end as segment
from scored
