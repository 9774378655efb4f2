{{ config(materialized='table', tags=['core'], dist='all', sort='merchant_id') }}
-- Merchants as of their latest snapshot (type 1: a merchant's name or place is corrected, not versioned).
-- Merchants seen only in transactions get their attributes from their newest transaction.
with latest_snapshot as (
  select merchant_id, merchant_name, mcc, merchant_category, city, country
  from (
    select
      *,
      row_number() over (partition by merchant_id order by snapshot_date desc) as recency
    from {{ ref('stg_merchants') }}
  ) as ranked
  where recency = 1
),

from_transactions as (
  select merchant_id, merchant_name, mcc, merchant_category, city, country
  from (
    select
      *,
      row_number() over (partition by merchant_id order by txn_ts desc, transaction_id desc) as recency
    from {{ ref('stg_transactions') }}
  ) as ranked
  where recency = 1
    and not exists (select 1 from latest_snapshot as s where s.merchant_id = ranked.merchant_id)
)

select *, false as is_inferred from latest_snapshot
union all
select *, true as is_inferred from from_transactions
