-- The overview's figures of two event dates ($day and $week_before): transactions, those not declined (approval
-- rate), purchase and net amount, and fraud-labelled transactions (fraud rate). A date without rows has
-- has_data = false.
with days as (
  select cast($day as date) as event_date
  union all
  select cast($week_before as date)
),

sales as (
  select
    event_date,
    sum(transaction_count) as transactions,
    sum(transaction_count - declined_count) as not_declined,
    sum(purchase_amount) as purchase_amount,
    sum(net_amount) as net_amount
  from mart_sales_daily
  where event_date in (select event_date from days)
  group by event_date
),

fraud as (
  select event_date, sum(fraud_count) as fraud_count, sum(transaction_count) as transactions
  from mart_fraud_daily
  where event_date in (select event_date from days)
  group by event_date
)

select
  cast(d.event_date as varchar) as event_date,
  s.event_date is not null as has_data,
  coalesce(s.transactions, 0) as transactions,
  coalesce(s.not_declined, 0) as not_declined,
  cast(coalesce(s.purchase_amount, 0) as decimal(38, 2)) as purchase_amount,
  cast(coalesce(s.net_amount, 0) as decimal(38, 2)) as net_amount,
  coalesce(f.fraud_count, 0) as fraud_count,
  coalesce(f.transactions, 0) as fraud_base
from days as d
left join sales as s on s.event_date = d.event_date
left join fraud as f on f.event_date = d.event_date
