{{ config(materialized='table', tags=['core'], dist='all', sort='customer_id') }}
-- Type-2 slowly changing dimension from the daily customer snapshots: a new version starts on the first
-- snapshot whose tracked attributes differ from the previous snapshot's. The first version is valid from
-- 1900-01-01, so a transaction older than the first snapshot (late data) still finds its customer.
-- Customers seen in transactions but in no snapshot (feeds without entity files) get one inferred row.
with snapshots as (
  select
    customer_id, customer_name, email, birth_year, city, country, segment, signup_date, snapshot_date,
    md5(
      coalesce(customer_name, '') || '|' || coalesce(email, '') || '|' || coalesce(cast(birth_year as varchar), '')
      || '|' || coalesce(city, '') || '|' || coalesce(country, '') || '|' || coalesce(segment, '')
    ) as attributes_hash
  from {{ ref('stg_customers') }}
),

changes as (
  select
    *,
    lag(attributes_hash) over (partition by customer_id order by snapshot_date) as previous_hash
  from snapshots
),

versions as (
  select
    customer_id, customer_name, email, birth_year, city, country, segment, signup_date, snapshot_date,
    row_number() over (partition by customer_id order by snapshot_date) as version,
    lead(snapshot_date) over (partition by customer_id order by snapshot_date) as next_version_date
  from changes
  where previous_hash is null or previous_hash <> attributes_hash
),

scd as (
  select
    customer_id, customer_name, email, birth_year, city, country, segment, signup_date,
    case when version = 1 then cast('1900-01-01' as date) else snapshot_date end as valid_from,
    coalesce(next_version_date, cast('9999-12-31' as date)) as valid_to,
    next_version_date is null as is_current,
    false as is_inferred
  from versions
),

inferred as (
  select distinct
    t.customer_id,
    cast(null as varchar) as customer_name,
    cast(null as varchar) as email,
    cast(null as integer) as birth_year,
    cast(null as varchar) as city,
    cast(null as varchar) as country,
    cast(null as varchar) as segment,
    cast(null as date) as signup_date,
    cast('1900-01-01' as date) as valid_from,
    cast('9999-12-31' as date) as valid_to,
    true as is_current,
    true as is_inferred
  from {{ ref('stg_transactions') }} as t
  where not exists (select 1 from snapshots as s where s.customer_id = t.customer_id)
)

select
  md5(customer_id || '|' || cast(valid_from as varchar)) as customer_key,
  *
from (
  select * from scd
  union all
  select * from inferred
) as all_versions
