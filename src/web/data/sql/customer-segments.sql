-- RFM segments: customers and their net purchase value (monetary) per segment.
select
  segment,
  count(*) as customers,
  cast(sum(monetary) as decimal(38, 2)) as monetary,
  cast(max(as_of_date) as varchar) as as_of_date
from mart_rfm_customer
group by segment
