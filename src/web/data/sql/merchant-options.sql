-- The merchant categories of the merchant mart, for the filter.
select merchant_category as value from mart_merchant_daily group by merchant_category order by value
