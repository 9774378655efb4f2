{{ config(materialized='table', tags=['core'], dist='all', sort='date_day') }}
-- Calendar 2015-2035 (the range of the Korean holiday seed), one row per day.
with days as (
  select cast(d as date) as date_day
  from generate_series(cast('2015-01-01' as timestamp), cast('2035-12-31' as timestamp), interval '1 day') as t(d)
)
select
  days.date_day,
  cast(extract(year from days.date_day) as integer) as year,
  cast(extract(quarter from days.date_day) as integer) as quarter,
  cast(extract(month from days.date_day) as integer) as month,
  case cast(extract(month from days.date_day) as integer)
    when 1 then 'January' when 2 then 'February' when 3 then 'March' when 4 then 'April'
    when 5 then 'May' when 6 then 'June' when 7 then 'July' when 8 then 'August'
    when 9 then 'September' when 10 then 'October' when 11 then 'November' else 'December'
  end as month_name,
  cast(extract(day from days.date_day) as integer) as day_of_month,
  -- ISO weekday: 1 = Monday … 7 = Sunday
  cast(extract(isodow from days.date_day) as integer) as day_of_week,
  case cast(extract(isodow from days.date_day) as integer)
    when 1 then 'Monday' when 2 then 'Tuesday' when 3 then 'Wednesday' when 4 then 'Thursday'
    when 5 then 'Friday' when 6 then 'Saturday' else 'Sunday'
  end as day_name,
  cast(extract(week from days.date_day) as integer) as iso_week,
  extract(isodow from days.date_day) >= 6 as is_weekend,
  holidays.holiday_date is not null as is_holiday,
  holidays.holiday_name
from days
left join {{ ref('kr_public_holidays') }} as holidays
  on holidays.holiday_date = days.date_day
