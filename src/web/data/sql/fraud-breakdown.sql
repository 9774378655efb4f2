-- Fraud of the chosen event dates, category, channel and country ('' = all) per day, category, channel and
-- country, in one scan of the mart.
select
  case
    when grouping(event_date) = 0 then 'day'
    when grouping(merchant_category) = 0 then 'category'
    when grouping(channel) = 0 then 'channel'
    else 'country'
  end as breakdown,
  case
    when grouping(event_date) = 0 then cast(event_date as varchar)
    when grouping(merchant_category) = 0 then merchant_category
    when grouping(channel) = 0 then channel
    else country
  end as member,
  sum(transaction_count) as transactions,
  sum(fraud_count) as fraud_count,
  cast(sum(fraud_amount) as decimal(38, 2)) as fraud_amount,
  sum(declined_count) as declined
from mart_fraud_daily
where event_date between cast($from as date) and cast($to as date)
  and ($category = '' or merchant_category = $category)
  and ($channel = '' or channel = $channel)
  and ($country = '' or country = $country)
group by grouping sets ((event_date), (merchant_category), (channel), (country))
order by breakdown, member
