-- The latest logical date the gold marts describe: the as-of date of the customer marts (each run exports them
-- as of the latest date that has run), else the latest event date of the sales mart (no purchase yet).
select cast(coalesce(
  (select max(as_of_date) from mart_rfm_customer),
  (select max(event_date) from mart_sales_daily)
) as varchar) as latest_date
