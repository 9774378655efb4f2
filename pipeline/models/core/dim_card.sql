{{
  config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='card_id',
    rebuild_if="{{ scd2_older_snapshot_arrived(this) }}",
    tags=['core'],
    dist='all',
    sort='card_id'
  )
}}
-- Cards as a type-2 slowly changing dimension (macros/scd2_versions.sql): replacement, closure and limit changes
-- start new versions. Carries the token, BIN and last 4 digits — never the PAN, which does not exist past
-- bronze. Cards seen only in transactions get one inferred row (the smallest customer and token they were
-- seen with). Incremental runs read only the new snapshots and the run's transactions (those of its ingest
-- date) and replace the cards they change; an older or repeated snapshot date rebuilds in full.
with versions as (
  {{ scd2_versions(ref('stg_cards'), 'card_id',
       ['customer_id', 'brand', 'card_type', 'card_token', 'card_bin', 'card_last4', 'issue_date', 'expiry_date',
        'credit_limit', 'card_status'],
       this if is_incremental() else none) }}
),

-- cards no snapshot knows, found from the card_id column alone: with daily snapshots there are none, and the
-- transactions' other columns are never read
unsnapshotted as (
  select t.card_id
  from {{ run_transactions(is_incremental()) }} as t
  {% if is_incremental() %}
  where {{ ingest_batch('t.ingest_date', 't.event_date') }}
  {% endif %}
  except
  {% if is_incremental() %}
  -- every card of the snapshots read so far has its versions in the table
  select d.card_id from {{ this }} as d where not d.is_inferred
  except
  select s.card_id from {{ ref('stg_cards') }} as s where {{ scd2_unread_snapshot('s.snapshot_date', this) }}
  {% else %}
  select s.card_id from {{ ref('stg_cards') }} as s
  {% endif %}
),

seen_in_transactions as (
  select t.card_id, t.customer_id, t.card_token
  from {{ run_transactions(is_incremental()) }} as t
  where t.card_id in (select card_id from unsnapshotted)
  {% if is_incremental() %}
    and {{ ingest_batch('t.ingest_date', 't.event_date') }}
  {% endif %}
),

inferred as (
  select
    card_id,
    min(customer_id) as customer_id,
    cast(null as varchar) as brand,
    cast(null as varchar) as card_type,
    min(card_token) as card_token,
    cast(null as varchar) as card_bin,
    cast(null as varchar) as card_last4,
    cast(null as date) as issue_date,
    cast(null as date) as expiry_date,
    cast(null as decimal(18, 2)) as credit_limit,
    cast(null as varchar) as card_status,
    cast('1900-01-01' as date) as valid_from,
    cast('9999-12-31' as date) as valid_to,
    true as is_current,
    true as is_inferred,
    cast(null as date) as first_snapshot_date
  from (
    select card_id, customer_id, card_token from seen_in_transactions
    {% if is_incremental() %}
    -- an inferred card seen again: the smallest over its earlier transactions (its row) and the new ones
    union all
    select d.card_id, d.customer_id, d.card_token
    from {{ this }} as d
    where d.is_inferred and d.card_id in (select card_id from seen_in_transactions)
    {% endif %}
  ) as sightings
  group by card_id
)

select
  md5(card_id || '|' || cast(valid_from as varchar)) as card_key,
  *
from (
  select * from versions
  union all
  select * from inferred
) as all_versions
