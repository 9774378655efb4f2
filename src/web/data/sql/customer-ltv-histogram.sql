-- Customers per bin of lifetime net value: bin k holds values in [k × width, (k + 1) × width), counted in cents
-- so the bin edges are exact; bins from $last_bin on are folded into it (the open-ended top bin).
select
  least(cast(floor(cast(l.net_revenue * 100 as bigint) / cast($width_cents as bigint)) as bigint),
        cast($last_bin as bigint)) as bin,
  count(*) as customers
from mart_customer_ltv as l
left join mart_rfm_customer as r on r.customer_id = l.customer_id
where $segment = '' or r.segment = $segment
group by bin
order by bin
