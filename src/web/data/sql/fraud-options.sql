-- The merchant categories, channels and countries the fraud mart holds, for the filters.
select 'category' as kind, merchant_category as value from mart_fraud_daily group by merchant_category
union all
select 'channel' as kind, channel as value from mart_fraud_daily group by channel
union all
select 'country' as kind, country as value from mart_fraud_daily group by country
order by kind, value
