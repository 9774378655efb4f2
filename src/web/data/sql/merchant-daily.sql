-- The daily net amount of the given merchants over the chosen event dates (the sparklines of a page).
select merchant_id, cast(event_date as varchar) as event_date, net_amount
from mart_merchant_daily
where event_date between cast($from as date) and cast($to as date)
  and list_contains($merchant_ids, merchant_id)
order by merchant_id, event_date
