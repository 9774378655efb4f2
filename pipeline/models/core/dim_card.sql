{{ config(materialized='table', tags=['core'], dist='all', sort='card_id') }}
-- Cards as a type-2 slowly changing dimension (macros/scd2_versions.sql): replacement, closure and limit changes
-- start new versions. Carries the token, BIN and last 4 digits — never the PAN, which does not exist past
-- bronze. Cards seen only in transactions get one inferred row.
with versions as (
  {{ scd2_versions(ref('stg_cards'), 'card_id',
       ['customer_id', 'brand', 'card_type', 'card_token', 'card_bin', 'card_last4', 'issue_date', 'expiry_date',
        'credit_limit', 'card_status']) }}
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
  where not exists (select 1 from {{ ref('stg_cards') }} as s where s.card_id = t.card_id)
  group by t.card_id
)

select
  md5(card_id || '|' || cast(valid_from as varchar)) as card_key,
  *
from (
  select * from versions
  union all
  select * from inferred
) as all_versions
