-- The daily sales mart adds up to the fact, per event date (net purchases − refunds, reporting currency). In a
-- pipeline run it checks the event dates the run rebuilt (macros/event_dates.sql); by hand, every date.
with mart as (
  select event_date, sum(net_amount) as net_amount
  from {{ ref('mart_sales_daily') }}
  where {{ rebuilt_by_run('event_date') }}
  group by event_date
),
fact as (
  select
    event_date,
    sum(case when is_purchase then amount_reporting when is_approved_refund then -amount_reporting else 0 end) as net_amount
  from {{ ref('fact_transactions') }}
  where {{ rebuilt_by_run('event_date') }}
  group by event_date
)
select coalesce(mart.event_date, fact.event_date) as event_date, mart.net_amount as mart_net, fact.net_amount as fact_net
from mart
full outer join fact on fact.event_date = mart.event_date
where coalesce(mart.net_amount, 0) <> coalesce(fact.net_amount, 0)
