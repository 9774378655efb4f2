{{ config(materialized='view', tags=['staging']) }}
select
  customer_id,
  name as customer_name,
  email,
  cast(birth_year as integer) as birth_year,
  city,
  country,
  segment,
  cast(signup_date as date) as signup_date,
  cast(snapshot_date as date) as snapshot_date
from {{ source('silver', 'customers') }} as snapshot
-- a held ingest date holds its snapshot too (macros/quality_holds.sql)
where {{ not_held('snapshot.snapshot_date') }}
