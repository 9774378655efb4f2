{{ config(materialized='table', tags=['core'], dist='all', sort='card_id') }}
-- Type-2 slowly changing dimension of cards (replacement, closure, limit change), built like dim_customer.
-- Carries the token, BIN and last 4 digits — never the PAN, which does not exist past bronze.
with snapshots as (
  select
    card_id, customer_id, brand, card_type, card_token, card_bin, card_last4, issue_date, expiry_date,
    credit_limit, card_status, snapshot_date,
    md5(
      coalesce(customer_id, '') || '|' || coalesce(brand, '') || '|' || coalesce(card_type, '') || '|'
      || coalesce(card_token, '') || '|' || coalesce(cast(issue_date as varchar), '') || '|'
      || coalesce(cast(expiry_date as varchar), '') || '|' || coalesce(cast(credit_limit as varchar), '') || '|'
      || coalesce(card_status, '')
    ) as attributes_hash
  from {{ ref('stg_cards') }}
),

changes as (
  select
    *,
    lag(attributes_hash) over (partition by card_id order by snapshot_date) as previous_hash
  from snapshots
),

versions as (
  select
    card_id, customer_id, brand, card_type, card_token, card_bin, card_last4, issue_date, expiry_date,
    credit_limit, card_status, snapshot_date,
    row_number() over (partition by card_id order by snapshot_date) as version,
    lead(snapshot_date) over (partition by card_id order by snapshot_date) as next_version_date
  from changes
  where previous_hash is null or previous_hash <> attributes_hash
),

scd as (
  select
    card_id, customer_id, brand, card_type, card_token, card_bin, card_last4, issue_date, expiry_date,
    credit_limit, card_status,
    case when version = 1 then cast('1900-01-01' as date) else snapshot_date end as valid_from,
    coalesce(next_version_date, cast('9999-12-31' as date)) as valid_to,
    next_version_date is null as is_current,
    false as is_inferred
  from versions
),

inferred as (
  select
    t.card_id,
    min(t.customer_id) as customer_id,
    cast(null as varchar) as brand,
    cast(null as varchar) as card_type,
    min(t.card_token) as card_token,
    cast(null as varchar) as card_bin,
    cast(null as varchar) as card_last4,
    cast(null as date) as issue_date,
    cast(null as date) as expiry_date,
    cast(null as decimal(18, 2)) as credit_limit,
    cast(null as varchar) as card_status,
    cast('1900-01-01' as date) as valid_from,
    cast('9999-12-31' as date) as valid_to,
    true as is_current,
    true as is_inferred
  from {{ ref('stg_transactions') }} as t
  where not exists (select 1 from snapshots as s where s.card_id = t.card_id)
  group by t.card_id
)

select
  md5(card_id || '|' || cast(valid_from as varchar)) as card_key,
  *
from (
  select * from scd
  union all
  select * from inferred
) as all_versions
