-- The spread of lifetime net value of the customers of a segment ('' = all): the bounds the histogram's bins
-- are chosen from (the 99th percentile keeps a few very large customers from squeezing every other bin).
select
  count(*) as customers,
  cast(min(l.net_revenue) as decimal(38, 2)) as lowest,
  cast(quantile_disc(l.net_revenue, 0.99) as decimal(38, 2)) as p99,
  cast(max(l.net_revenue) as decimal(38, 2)) as highest
from mart_customer_ltv as l
left join mart_rfm_customer as r on r.customer_id = l.customer_id
where $segment = '' or r.segment = $segment
