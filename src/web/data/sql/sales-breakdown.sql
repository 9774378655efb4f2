-- Sales of the chosen event dates, category and channel ('' = all): per day, per day × category and per day ×
-- channel, in one scan of the mart.
select
  case
    when grouping(merchant_category) = 0 then 'category'
    when grouping(channel) = 0 then 'channel'
    else 'day'
  end as breakdown,
  cast(event_date as varchar) as event_date,
  case
    when grouping(merchant_category) = 0 then merchant_category
    when grouping(channel) = 0 then channel
  end as member,
  sum(transaction_count) as transactions,
  sum(purchase_count) as purchases,
  cast(sum(purchase_amount) as decimal(38, 2)) as purchase_amount,
  sum(refund_count) as refunds,
  cast(sum(refund_amount) as decimal(38, 2)) as refund_amount,
  cast(sum(net_amount) as decimal(38, 2)) as net_amount,
  sum(declined_count) as declined
from mart_sales_daily
where event_date between cast($from as date) and cast($to as date)
  and ($category = '' or merchant_category = $category)
  and ($channel = '' or channel = $channel)
group by grouping sets ((event_date), (event_date, merchant_category), (event_date, channel))
order by breakdown, event_date, member
