-- One page of merchants over the chosen event dates, category ('' = all) and search text ('' = all; matches the
-- id or the name, case-insensitive): totals per merchant, the net amount of the last day of the range, and the
-- number of merchants matched. The ORDER BY placeholder takes one of the fixed orders of merchants-page.ts,
-- never request text.
with matched as (
  select *
  from mart_merchant_daily
  where event_date between cast($from as date) and cast($to as date)
    and ($category = '' or merchant_category = $category)
    and ($search = '' or contains(lower(merchant_id), lower($search)) or contains(lower(merchant_name), lower($search)))
),

merchants as (
  select
    merchant_id,
    max(merchant_name) as merchant_name,
    max(merchant_category) as merchant_category,
    sum(purchase_count) as purchases,
    cast(sum(purchase_amount) as decimal(38, 2)) as purchase_amount,
    sum(refund_count) as refunds,
    cast(sum(refund_amount) as decimal(38, 2)) as refund_amount,
    cast(sum(net_amount) as decimal(38, 2)) as net_amount,
    count(*) as active_days,
    sum(distinct_customers) as customer_days,
    cast(coalesce(sum(case when event_date = cast($to as date) then net_amount end), 0) as decimal(38, 2))
      as last_day_net_amount
  from matched
  group by merchant_id
)

select *, count(*) over () as matched_merchants
from merchants
order by {{order_by}}, merchant_id
limit cast($limit as integer) offset cast($offset as integer)
