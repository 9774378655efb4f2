-- The cohort retention triangle: cohort month × months since the first purchase.
select
  cast(cohort_month as varchar) as cohort_month,
  months_since_first,
  cohort_size,
  active_customers,
  retention_rate
from mart_cohort_retention
order by cohort_month, months_since_first
