-- The merchant categories and channels the sales mart holds, for the filters.
select 'category' as kind, merchant_category as value from mart_sales_daily group by merchant_category
union all
select 'channel' as kind, channel as value from mart_sales_daily group by channel
order by kind, value
