{{
  config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='customer_id',
    rebuild_if="{{ scd2_older_snapshot_arrived(this) }}",
    tags=['core'],
    dist='all',
    sort='customer_id'
  )
}}
-- Customers as a type-2 slowly changing dimension (macros/scd2_versions.sql): a move or a new segment starts a
-- new version. Customers seen in transactions but in no snapshot (feeds without entity files) get one inferred
-- row valid for all time. Incremental runs read only the new snapshots and the run's transactions (those of its
-- ingest date) and replace the customers they change; an older or repeated snapshot date rebuilds in full.
with versions as (
  {{ scd2_versions(ref('stg_customers'), 'customer_id',
       ['customer_name', 'email', 'birth_year', 'city', 'country', 'segment', 'signup_date'],
       this if is_incremental() else none) }}
),

-- customers no snapshot knows
unsnapshotted as (
  select t.customer_id
  from {{ run_transactions(is_incremental()) }} as t
  {% if is_incremental() %}
  where {{ ingest_batch('t.ingest_date', 't.event_date') }}
  {% endif %}
  except
  {% if is_incremental() %}
  -- every customer of the snapshots read so far, and every one inferred before, is in the table
  select d.customer_id from {{ this }} as d
  except
  select s.customer_id from {{ ref('stg_customers') }} as s where {{ scd2_unread_snapshot('s.snapshot_date', this) }}
  {% else %}
  select s.customer_id from {{ ref('stg_customers') }} as s
  {% endif %}
),

inferred as (
  select
    customer_id,
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
    true as is_inferred,
    cast(null as date) as first_snapshot_date
  from unsnapshotted
)

select
  md5(customer_id || '|' || cast(valid_from as varchar)) as customer_key,
  *
from (
  select * from versions
  union all
  select * from inferred
) as all_versions
