-- The customers of a segment ('' = all) with the highest lifetime net value: ids and figures only, no names or
-- contact details.
select
  l.customer_id,
  r.segment,
  l.purchases,
  l.refunds,
  l.net_revenue,
  l.average_order_value,
  l.projected_12m_value,
  cast(l.first_purchase_date as varchar) as first_purchase_date,
  cast(l.last_purchase_date as varchar) as last_purchase_date
from mart_customer_ltv as l
left join mart_rfm_customer as r on r.customer_id = l.customer_id
where $segment = '' or r.segment = $segment
order by l.net_revenue desc, l.customer_id
limit cast($limit as integer)
